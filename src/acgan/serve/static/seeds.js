// Seeds on the page, the page's side of acgan/sample/seeds.py's seed rules (what its noise means is noise.js's).
// They are BigInts: every seed from 0 to the contract's largest is a face, and JavaScript numbers stop being exact
// at 2**53. JSON for the server and for PNG metadata writes them as plain digits.

export class SeedError extends Error {}

/**
 * The seed a person typed; a SeedError says what a seed is when it is not one.
 * @param {string} text
 * @param {bigint} max  the largest seed (the contract's seeds.max)
 */
export function parseSeed(text, max) {
  const digits = String(text).trim();
  if (!/^\d+$/.test(digits)) throw new SeedError("a whole number, 0 or more");
  const seed = BigInt(digits);
  if (seed > max) throw new SeedError(`a whole number from 0 to ${max}`);
  return seed;
}

/**
 * A fresh seed below `below` (the contract's seeds.newBelow, short enough to read out), from the browser's strong
 * random numbers.
 * @param {bigint} below
 */
export function newSeed(below) {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return ((BigInt(high) << 32n) | BigInt(low)) % below;
}

const MARK = "\u0000seed:";

/**
 * JSON text in which BigInts are exact numbers and everything past ASCII is escaped (safe for a PNG tEXt chunk).
 * @param {unknown} value
 */
export function jsonText(value) {
  const text = JSON.stringify(value, (key, v) => (typeof v === "bigint" ? `${MARK}${v}` : v));
  return text
    .replace(/"\\u0000seed:(\d+)"/g, "$1")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
