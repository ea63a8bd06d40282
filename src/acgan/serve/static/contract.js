// The names the page's modules share, and the contract a model sends. It imports nothing, so every module may
// import it and none import in a circle. Every rule the page keeps (colours, "random", seeds, limits, the morph's
// size and timing, the forms' defaults) is defined once in Python (acgan/sample/contract.py) and arrives here as
// JSON, from GET /api/tags or a static site's model.json: the page copies none of them.

/** localStorage key: "webgpu" when the visitor chose the GPU (browser mode). */
export const DEVICE_KEY = "acgan.device";

/** What draws the faces cannot be reached (the server stopped, the model files did not load): try again later. */
export class Unreachable extends Error {}

/**
 * @typedef {{name: string, rgb: number[], hex: string}} Swatch  a colour name and the colour the page shows for it
 * @typedef {[number, number]} Move  [index, distance]: one step from a face to its variation number `index`
 * @typedef {{seed: bigint, hair: string, eyes: string, moves: Move[]}} FaceRequest  a face asked for (a colour may
 *   be "random"); a variation of its seed's face when it has moves (docs/DESIGN.md "Variations of a face")
 * @typedef {{hair: string, eyes: string}} ColoursRead  the colours the shipped tagger reads in a face
 * @typedef {{seed: bigint, hair: string, eyes: string, moves: Move[], truncation: number, png: string,
 *   pixels?: ImageData, read?: ColoursRead}} Face  a face drawn: its colours resolved, the truncation its noise was
 *   drawn at, its PNG as a data URL (carrying its record), its pixels when drawn here, and the colours the tagger
 *   reads in it where the model's colours are the tagger's
 * @typedef {{hair: string, eyes: string, n: number, seed: bigint, moves: Move[], truncation: number,
 *   onlyReadBack?: boolean}} DrawRequest  n faces, face k from seed + k with the request's moves, each face's noise
 *   times the truncation (the variety); with onlyReadBack, a face whose colours the tagger does not read as asked
 *   gives way to a fresh one of its colours that it does (the contract's read_back rules)
 * @typedef {{hair: string, eyes: string}} ColourPair
 * @typedef {{seed: bigint, moves: Move[], pairs: ColourPair[], truncation: number}} RecolourRequest  one face, each
 *   colour pair in turn
 * @typedef {{like: FaceRequest, n: number, distance: number, truncation: number}} VariationsRequest  n faces near
 *   `like`: variation k adds the move [k, distance] to its moves, its colours kept
 * @typedef {{from: FaceRequest, to: FaceRequest, steps: number, truncation: number}} MorphRequest
 * @typedef {{from: Face, to: Face, frames: string[], gif: string}} Morph  PNG data URLs per frame and the GIF's
 */

/**
 * The model and the rules it draws under, as sample/contract.py's contract_json sends them.
 * @typedef {object} Contract
 * @property {string} source  the checkpoint or export the faces come from
 * @property {number} step
 * @property {number} resolution  pixels a side of a face as drawn
 * @property {Swatch[]} hair  in label order
 * @property {Swatch[]} eyes
 * @property {string} random  the colour name that asks for a colour drawn from the face's seed
 * @property {{max: bigint, newBelow: bigint, faceK: string, noise: string}} seeds
 *   every seed from 0 to max is a face; one picked for the visitor is below newBelow; face k uses seed + k
 * @property {{maxFaces: number, maxGrid: number, minSize: number, maxSize: number, maxRequestPixels: number,
 *   maxPerCall: number}} limits  faces per request and per grid, a download's size, the pixels one server request
 *   may make in all, and the faces one command or Python call draws
 * @property {{steps: number, maxSteps: number, size: number, maxScale: number, maxPixels: number, holdMs: number,
 *   frameMs: number}} morph  default and largest frame count, the GIF's frame size in pixels (about), its timing
 * @property {{default: number, above: number, max: number, noise: string}} truncation  the variety: each face's
 *   noise times it, above `above` and at most `max`
 * @property {{count: number, distance: number, above: number, max: number, maxIndex: number, maxMoves: number,
 *   noise: string}} variations  the row's size, the distance a variation moves a face (default, above, at most),
 *   the largest variation index and the most moves a face may have
 * @property {{tries: number, distance: number}} readBack  faces tried per face when only faces whose colours read
 *   back are kept: the face, then its variations [j, distance] for j = 0, 1, ...
 * @property {{faces: number, morphFrom: FaceRequest, morphTo: FaceRequest}} defaults  what the forms start with
 */

/**
 * What draws faces for the page: the JSON API of `acgan serve` (server.js) or ONNX Runtime Web here (browser.js).
 * The page's counterpart of Python's FaceGenerator; calls that cannot reach what draws throw Unreachable.
 * @typedef {object} FaceGenerator
 * @property {"server" | "browser"} mode
 * @property {Contract} contract
 * @property {string} label  one line about the model for the header
 * @property {boolean} gpuOffered  whether the visitor may choose WebGPU (browser mode, with the runtime shipped)
 * @property {boolean} readsBack  whether the faces it draws come with the colours the shipped tagger reads in them
 * @property {(request: DrawRequest) => Promise<Face[]>} generate  n faces; "random" chosen from each face's seed
 * @property {(request: RecolourRequest) => Promise<Face[]>} recolour  one face in each pair
 * @property {(request: VariationsRequest) => Promise<Face[]>} variations  faces near a face
 * @property {(request: MorphRequest) => Promise<Morph>} morph  frames between two faces, and an animated GIF
 * @property {(face: Face, size: number) => Promise<Blob>} picture  the face as PNG, size pixels a side (Lanczos)
 */

/**
 * The JSON's keys as JavaScript spells them (max_faces -> maxFaces), all the way down.
 * @param {unknown} value
 * @returns {any}
 */
function camelCase(value) {
  if (Array.isArray(value)) return value.map(camelCase);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(
    ([key, inner]) => [key.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase()), camelCase(inner)]));
}

/**
 * Throw an Error naming `from` and what its contract lacks, unless every rule the page reads is there and usable
 * (a damaged or hand-edited model.json must stop the page with a message, not break it half-drawn).
 * @param {any} contract  camelCased
 * @param {string} from  where the contract came from, as the message names it
 */
function checkContract(contract, from) {
  /** @param {string} what */
  const fail = (what) => { throw new Error(`${from} ${what}`); };
  if (contract === null || typeof contract !== "object" || Array.isArray(contract)) fail("is not a JSON object");
  for (const attribute of ["hair", "eyes"]) {
    const list = contract[attribute];
    if (!Array.isArray(list) || list.length === 0) fail(`lists no ${attribute} colours`);
    const named = (/** @type {any} */ s) => s !== null && typeof s === "object" && typeof s.name === "string"
      && s.name !== "" && typeof s.hex === "string";
    if (!list.every(named)) fail(`has a ${attribute} colour without a name and a hex colour`);
  }
  if (typeof contract.random !== "string" || contract.random === "") fail("has no name for a random colour");
  const counts = { resolution: contract.resolution, "limits.max_faces": contract.limits?.maxFaces,
    "limits.max_size": contract.limits?.maxSize, "morph.steps": contract.morph?.steps,
    "morph.max_steps": contract.morph?.maxSteps, "morph.size": contract.morph?.size,
    "defaults.faces": contract.defaults?.faces, "variations.count": contract.variations?.count,
    "variations.max_index": contract.variations?.maxIndex, "variations.max_moves": contract.variations?.maxMoves };
  for (const [key, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) fail(`has no whole number 1 or more as ${key}`);
  }
  const fractions = { "truncation.default": contract.truncation?.default, "truncation.max": contract.truncation?.max,
    "variations.distance": contract.variations?.distance, "variations.max": contract.variations?.max };
  for (const [key, value] of Object.entries(fractions)) {
    if (typeof value !== "number" || !(value > 0 && value <= 1)) fail(`has no number above 0, at most 1, as ${key}`);
  }
  const seeds = { "seeds.max": contract.seeds?.max, "seeds.new_below": contract.seeds?.newBelow,
    "defaults.morph_from.seed": contract.defaults?.morphFrom?.seed,
    "defaults.morph_to.seed": contract.defaults?.morphTo?.seed };
  for (const [key, value] of Object.entries(seeds)) {
    if (!/^\d+$/.test(String(value))) fail(`has no seed (digits) as ${key}`);
  }
}

/**
 * The contract from its JSON (GET /api/tags, model.json): every key as JavaScript spells it, the seeds as BigInts
 * (JSON carries the largest as digits). A key added in Python arrives here with no change to this file; an Error
 * naming `from` when the JSON lacks a rule the page needs.
 * @param {unknown} json
 * @param {string} from  where the JSON came from
 * @returns {Contract}
 */
export function readContract(json, from) {
  const contract = camelCase(json);
  checkContract(contract, from);
  contract.seeds.max = BigInt(contract.seeds.max);
  contract.seeds.newBelow = BigInt(contract.seeds.newBelow);
  for (const end of [contract.defaults.morphFrom, contract.defaults.morphTo]) end.seed = BigInt(end.seed);
  return contract;
}
