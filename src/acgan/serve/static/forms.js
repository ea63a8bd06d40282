// Reading what a person typed: every refusal names the field and says, in words, what it takes.
import { find, showError } from "./dom.js";
import { parseSeed, SeedError } from "./seeds.js";

/**
 * @typedef {import("./contract.js").Contract} Contract
 * @typedef {import("./contract.js").Move} Move
 */

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

/**
 * A slider's number: the one a link or a PNG put there (a slider holds only the numbers on its steps), or the one
 * chosen on it since.
 * @param {HTMLInputElement} slider
 */
export function sliderValue(slider) {
  return Number(slider.dataset.exact ?? slider.value);
}

/**
 * Put a number on a slider, exactly.
 * @param {HTMLInputElement} slider
 * @param {number} value
 */
export function setSlider(slider, value) {
  slider.value = String(value);
  slider.dataset.exact = String(value);
}

/** The variety (the truncation every draw uses) chosen on the page's slider. */
export function chosenTruncation() {
  return sliderValue(find("#variety", HTMLInputElement));
}

/**
 * The number `text` writes (digits, a point, an exponent) when it is above `above` and at most `max`; else null.
 * @param {string} text
 * @param {number} above
 * @param {number} max
 */
export function fraction(text, above, max) {
  const written = text.trim();
  const value = Number(written);
  return /^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(written) && value > above && value <= max ? value : null;
}

/**
 * What a face's moves must be, when `moves` is not that (as many as a face may have, each index a variation index,
 * each distance in range); null when they are.
 * @param {Move[]} moves
 * @param {Contract["variations"]} rules
 */
export function movesProblem(moves, rules) {
  const { maxMoves, maxIndex, above, max } = rules;
  /** @param {Move} move */
  const fits = ([index, distance]) => Number.isInteger(index) && index >= 0 && index <= maxIndex
    && distance > above && distance <= max;
  return moves.length <= maxMoves && moves.every(fits) ? null : movesRule(rules);
}

/**
 * What a face's moves may be, in words.
 * @param {Contract["variations"]} rules
 */
export function movesRule({ maxMoves, maxIndex, above, max }) {
  return `at most ${maxMoves} moves, each an index from 0 to ${maxIndex} and a distance above ${above}, at most ${max}`;
}

/**
 * A face's moves as a link writes them: "index:distance" for each, joined by commas ("3:0.4,5:0.4").
 * @param {Move[]} moves
 */
export function movesText(moves) {
  return moves.map(([index, distance]) => `${index}:${distance}`).join(",");
}

/**
 * The moves a link writes (movesText's); null when `text` is not such a list.
 * @param {string} text
 * @param {Contract["variations"]} rules
 * @returns {Move[] | null}
 */
export function readMoves(text, rules) {
  const moves = /** @type {Move[]} */ ([]);
  for (const part of text.split(",")) {
    const [index, distance, ...rest] = part.split(":");
    const value = fraction(distance ?? "", rules.above, rules.max);
    if (!/^\d+$/.test(index) || value === null || rest.length) return null;
    moves.push([Number(index), value]);
  }
  return movesProblem(moves, rules) ? null : moves;
}
