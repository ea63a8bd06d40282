// Seeds on the page are BigInts: every seed from 0 to 2**63 - 1 is a face, and JavaScript numbers stop being
// exact at 2**53. JSON for the server and for PNG metadata writes them as plain digits.
import { MAX_SEED } from "./noise.js";

export { MAX_SEED };

export class SeedError extends Error {}

/** The seed a person typed; a SeedError says what a seed is when it is not one. */
export function parseSeed(text) {
  const digits = String(text).trim();
  if (!/^\d+$/.test(digits)) throw new SeedError("a whole number, 0 or more");
  const seed = BigInt(digits);
  if (seed > MAX_SEED) throw new SeedError(`a whole number from 0 to ${MAX_SEED}`);
  return seed;
}

/** A fresh seed below a billion (short enough to read out), from the browser's strong random numbers. */
export function newSeed() {
  return BigInt(crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000_000);
}

const MARK = "\u0000seed:";

/** JSON text in which BigInts are exact numbers and everything past ASCII is escaped (safe for a PNG tEXt chunk). */
export function jsonText(value) {
  const text = JSON.stringify(value, (key, v) => (typeof v === "bigint" ? `${MARK}${v}` : v));
  return text
    .replace(/"\\u0000seed:(\d+)"/g, "$1")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
