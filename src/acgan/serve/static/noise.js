// What a seed means, in JavaScript: the same numbers, bit for bit, as acgan/sample/seeds.py, so the page in the
// browser draws the faces `acgan generate` draws. docs/DESIGN.md ("The noise is our own") defines it:
//   key     = mix64(seed + stream * 2**63)          stream 0: noise, 1: "random" colours
//   word[i] = mix64(key + (i + 1) * GOLDEN)         the i-th output of SplitMix64 started at key
//   noise   = Box-Muller over pairs of words, in float64 with + - * / and sqrt only, then float32
// and a variation of a face ("Variations of a face") moves that float64 noise, step by step, before the rounding:
//   key[j]  = mix64(key[j-1] + (index + 1) * GOLDEN) >> 1,   z[j] = sqrt(1 - d*d) * z[j-1] + d * noise64(key[j])
// Only IEEE-exact operations are used (no Math.log, Math.cos: their last bit differs between engines and libms).

const MASK = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;
const NOISE_STREAM = 0n;
const COLOUR_STREAM = 1n;
const TWO_53 = 2 ** 53;
const SQRT_HALF = 0.7071067811865476;
const LN2 = 0.6931471805599453;
const HALF_PI = 1.5707963267948966;

/** @typedef {import("./contract.js").Move} Move */

/** @param {bigint} z */
function mix64(z) {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
  return z ^ (z >> 31n);
}

/**
 * @param {bigint | number} seed
 * @param {bigint} stream
 * @param {number} count
 * @returns {bigint[]}
 */
function streamWords(seed, stream, count) {
  const key = mix64(BigInt(seed) + (stream << 63n));
  const words = new Array(count);
  for (let i = 0; i < count; i += 1) words[i] = mix64((key + BigInt(i + 1) * GOLDEN) & MASK);
  return words;
}

/**
 * log x for x in (0, 1]: x = m * 2**e with m in [sqrt(1/2), sqrt(2)), then 2 atanh((m - 1) / (m + 1)) as a series.
 * @param {number} x
 */
function logUnit(x) {
  let m = x;
  let e = 0;
  while (m < SQRT_HALF) { m *= 2; e -= 1; } // doubling is exact
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let series = 1 / 25;
  for (let k = 11; k >= 0; k -= 1) series = 1 / (2 * k + 1) + s2 * series;
  return e * LN2 + 2 * s * series;
}

/**
 * [cos, sin] of 2 pi u for u in [0, 1): the nearest quarter turn off exactly, Taylor series for the rest.
 * @param {number} u
 * @returns {[number, number]}
 */
function cosSinTurns(u) {
  const t = u * 4;
  const quarter = Math.floor(t + 0.5);
  const a = (t - quarter) * HALF_PI;
  const a2 = a * a;
  let sinA = 1;
  let cosA = 1;
  for (let n = 17; n > 2; n -= 2) sinA = 1 - a2 / (n * (n - 1)) * sinA;
  for (let n = 18; n > 1; n -= 2) cosA = 1 - a2 / (n * (n - 1)) * cosA;
  sinA = a * sinA;
  switch (quarter % 4) {
    case 0: return [cosA, sinA];
    case 1: return [-sinA, cosA];
    case 2: return [-cosA, -sinA];
    default: return [sinA, -cosA];
  }
}

/**
 * The noise of one seed in float64, before its rounding to float32 (seeds.py's seed_noise64).
 * @param {bigint | number} seed
 * @param {number} zDim
 */
function seedNoise64(seed, zDim) {
  const pairs = Math.ceil(zDim / 2);
  const words = streamWords(seed, NOISE_STREAM, 2 * pairs);
  const noise = new Float64Array(zDim);
  for (let j = 0; j < pairs; j += 1) {
    const radiusU = (TWO_53 - Number(words[2 * j] >> 11n)) / TWO_53;
    const angleU = Number(words[2 * j + 1] >> 11n) / TWO_53;
    const radius = Math.sqrt(-2 * logUnit(radiusU));
    const [cos, sin] = cosSinTurns(angleU);
    noise[2 * j] = radius * cos;
    if (2 * j + 1 < zDim) noise[2 * j + 1] = radius * sin;
  }
  return noise;
}

/**
 * The noise of one seed (a BigInt or a safe integer): zDim standard-normal float32 numbers.
 * @param {bigint | number} seed
 * @param {number} zDim
 */
export function noiseForSeed(seed, zDim) {
  return Float32Array.from(seedNoise64(seed, zDim)); // rounds float64 to float32 (to nearest even), as astype does
}

/**
 * The noise of a face: its seed's, moved by each of its moves in float64 (seeds.py's noise_for_faces), then
 * rounded to float32 once. A face without moves has its seed's noise, bit for bit.
 * @param {{seed: bigint, moves?: Move[]}} face
 * @param {number} zDim
 */
export function noiseForFace({ seed, moves = [] }, zDim) {
  let noise = seedNoise64(seed, zDim);
  let key = BigInt(seed);
  for (const [index, distance] of moves) {
    key = mix64((key + BigInt(index + 1) * GOLDEN) & MASK) >> 1n;
    const step = seedNoise64(key, zDim);
    const keep = Math.sqrt(1 - distance * distance);
    // Two products and a sum, each rounded: JavaScript never fuses them, and numpy computes them the same way.
    noise = noise.map((value, i) => keep * value + distance * step[i]);
  }
  return Float32Array.from(noise);
}

/**
 * Noise pulled toward its mean by `truncation` (seeds.py's truncated): each float32 number times the truncation
 * rounded to float32, as a float32 tensor times a Python float computes it (at 1, the same numbers).
 * @param {Float32Array} noise
 * @param {number} truncation
 */
export function truncated(noise, truncation) {
  const factor = Math.fround(truncation);
  // The float64 product of two float32 numbers is exact, so one rounding to float32 is the float32 product.
  return noise.map((value) => value * factor);
}

/**
 * [hair index, eye index] that "random" means for a seed.
 * @param {bigint | number} seed
 * @param {number} nHair
 * @param {number} nEyes
 * @returns {[number, number]}
 */
export function randomColours(seed, nHair, nEyes) {
  const [hairWord, eyesWord] = streamWords(seed, COLOUR_STREAM, 2);
  return [Number((hairWord * BigInt(nHair)) >> 64n), Number((eyesWord * BigInt(nEyes)) >> 64n)];
}

/**
 * Noise on the great circle from a to b at each t (acgan.sample.generator.slerp), ends exact.
 * @param {Float32Array} a
 * @param {Float32Array} b
 * @param {number[]} ts
 */
export function slerp(a, b, ts) {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  const angle = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(normA * normB))));
  return ts.map((t) => {
    if (t === 0) return Float32Array.from(a);
    if (t === 1) return Float32Array.from(b);
    const [wa, wb] = angle < 1e-6 ? [1 - t, t]
      : [Math.sin((1 - t) * angle) / Math.sin(angle), Math.sin(t * angle) / Math.sin(angle)];
    return Float32Array.from(a, (value, i) => wa * value + wb * b[i]);
  });
}
