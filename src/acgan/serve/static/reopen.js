// Opening a PNG that acgan wrote, to draw its face again: the page's `acgan generate --like`. Every face acgan
// writes (the CLI, the Python API, the server, this page) carries what made it as JSON in a tEXt chunk "acgan"
// (acgan/sample/records.py): a face {source, step, seed, hair, eyes}, or a grid {source, step, faces: [...]}; a
// variation has its "moves", a face drawn at a truncation other than 1 has "truncation" beside the source.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** @typedef {import("./contract.js").Move} Move */

export class NotAFace extends Error {}

/**
 * The text of the PNG's tEXt chunk `keyword`, or null when it has none; null too for bytes that are not a PNG.
 * @param {Uint8Array} png
 * @param {string} keyword
 */
function pngText(png, keyword) {
  if (png.length < 8 || SIGNATURE.some((byte, i) => png[i] !== byte)) return null;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const latin1 = new TextDecoder("latin1");
  for (let at = 8; at + 12 <= png.length;) {
    const length = view.getUint32(at);
    const type = latin1.decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, Math.min(png.length, at + 8 + length));
    if (type === "tEXt") {
      const split = data.indexOf(0);
      const found = split >= 0 && latin1.decode(data.subarray(0, split)) === keyword;
      if (found) return latin1.decode(data.subarray(split + 1));
    }
    if (type === "IEND") break;
    at += 12 + length;
  }
  return null;
}

/**
 * Whether `moves` is a list of [index, distance] pairs of numbers (the page checks them against the contract).
 * @param {unknown} moves
 */
function areMoves(moves) {
  return Array.isArray(moves) && moves.every((move) => Array.isArray(move) && move.length === 2
    && move.every((number) => typeof number === "number"));
}

/**
 * The face (its seed exact, its colours, its moves) a PNG acgan wrote names, the first face of a grid, and the
 * truncation it was drawn at (undefined: the default). A NotAFace names the file and says what is wrong.
 * @param {Uint8Array} png
 * @param {string} name  the file's name, for the message
 * @returns {{seed: bigint, hair: string, eyes: string, moves: Move[], truncation: number | undefined}}
 */
export function faceOfPng(png, name) {
  const text = pngText(png, "acgan");
  if (text === null) {
    throw new NotAFace(`${name}: no acgan metadata (only faces acgan wrote as PNG can be drawn again).`);
  }
  /** @type {any} */
  let record;
  try {
    // JSON numbers lose digits past 2**53: the seeds are read as their digits.
    record = JSON.parse(text.replace(/"seed"\s*:\s*(\d+)/g, '"seed":"$1"'));
  } catch {
    record = null;
  }
  const face = Array.isArray(record?.faces) ? record.faces[0] : record;
  if (face === null || typeof face !== "object" || typeof face.seed !== "string" || typeof face.hair !== "string"
      || typeof face.eyes !== "string") {
    throw new NotAFace(`${name}: its acgan metadata is not a face (a seed, hair and eyes).`);
  }
  const moves = face.moves ?? [];
  const truncation = record.truncation;
  if (!areMoves(moves) || !(truncation === undefined || typeof truncation === "number")) {
    throw new NotAFace(`${name}: its acgan metadata has moves or a truncation that are not numbers.`);
  }
  return { seed: BigInt(face.seed), hair: face.hair, eyes: face.eyes, moves, truncation };
}
