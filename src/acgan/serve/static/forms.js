// Reading what a person typed: every refusal names the field and says, in words, what it takes.
import { showError } from "./dom.js";
import { parseSeed, SeedError } from "./seeds.js";

export class InputError extends Error {
  /**
   * @param {HTMLInputElement} input  the field the mistake is in
   * @param {string} message
   */
  constructor(input, message) {
    super(message);
    this.input = input;
  }
}

/**
 * The seed in `input` as a BigInt, at most `max`; undefined when it is empty and `optional`.
 * @param {HTMLInputElement} input
 * @param {string} label
 * @param {boolean} optional
 * @param {bigint} max
 * @returns {bigint | undefined}
 */
export function readSeed(input, label, optional, max) {
  const text = input.value.trim();
  input.removeAttribute("aria-invalid");
  if (text === "" && optional) return undefined;
  try {
    return parseSeed(text, max);
  } catch (error) {
    if (error instanceof SeedError) throw new InputError(input, `${label}: ${error.message}.`);
    throw error;
  }
}

/**
 * A seed that must be there.
 * @param {HTMLInputElement} input
 * @param {string} label
 * @param {bigint} max
 */
export function requireSeed(input, label, max) {
  return /** @type {bigint} */ (readSeed(input, label, false, max));
}

/**
 * @param {HTMLInputElement} input
 * @param {string} label
 * @param {number} low
 * @param {number} high
 */
export function readInteger(input, label, low, high) {
  const text = input.value.trim();
  const value = Number(text);
  input.removeAttribute("aria-invalid");
  // Digits only: Number() also reads "1e1" as 10 and "0.9999999999999999999" as 1, which no one meant as a count.
  if (!/^\d+$/.test(text) || value < low || value > high) {
    throw new InputError(input, `${label}: a whole number from ${low} to ${high}.`);
  }
  return value;
}

/**
 * What `read()` returns; undefined when the form holds a mistake, which the box `errorId` then explains while the
 * field it is about is marked and focused.
 * @template T
 * @param {() => T} read
 * @param {string} errorId
 * @returns {T | undefined}
 */
export function readForm(read, errorId) {
  try {
    const value = read();
    showError(errorId, null);
    return value;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    error.input.setAttribute("aria-invalid", "true");
    error.input.focus();
    showError(errorId, error);
    return undefined;
  }
}
