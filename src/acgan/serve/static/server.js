// The page's FaceGenerator when `acgan serve` serves it: every face comes from the JSON API of the same server
// (/openapi.json describes it), and the rules come from GET /api/tags.
import { readContract, Unreachable } from "./contract.js";
import { bytesOf } from "./pictures.js";
import { jsonText } from "./seeds.js";

/**
 * @typedef {import("./contract.js").Contract} Contract
 * @typedef {import("./contract.js").DrawRequest} DrawRequest
 * @typedef {import("./contract.js").Face} Face
 * @typedef {import("./contract.js").FaceGenerator} FaceGenerator
 * @typedef {import("./contract.js").Morph} Morph
 * @typedef {import("./contract.js").MorphRequest} MorphRequest
 * @typedef {import("./contract.js").Move} Move
 * @typedef {import("./contract.js").RecolourRequest} RecolourRequest
 * @typedef {import("./contract.js").VariationsRequest} VariationsRequest
 * @typedef {import("./contract.js").ColoursRead} ColoursRead
 * @typedef {{seed: number, hair: string, eyes: string, moves: Move[], png: string, read: ColoursRead | null}}
 *   FaceJSON  a face as the API answers it
 */

const GONE = "The acgan server is not answering: is `acgan serve` still running? Your faces stay on the page.";

/**
 * The server's answer to GET (no body) or POST `body`; Unreachable when no answer comes, an Error saying what the
 * server said otherwise. Paths are relative, so the page also works behind a proxy under a sub-path.
 * @param {string} path
 * @param {object} [body]
 * @returns {Promise<Response>}
 */
async function request(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "content-type": "application/json" }, body: jsonText(body),
  };
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new Unreachable(GONE);
  }
  if ([502, 503, 504].includes(response.status)) throw new Unreachable(GONE); // a proxy whose server stopped
  if (!response.ok) {
    let message = `the server answered ${response.status} ${response.statusText}`;
    try { message = (await response.json()).message || message; } catch { /* not JSON: keep the status */ }
    throw new Error(message);
  }
  return response;
}

/**
 * @param {string} path
 * @param {object} [body]
 * @returns {Promise<any>}
 */
const json = async (path, body) => (await request(path, body)).json();
/** @param {string} base64 */
const png = (base64) => `data:image/png;base64,${base64}`;

/**
 * A face of the API's answer, with the seed and moves the page asked for: JSON numbers lose digits past 2**53, so
 * the page keeps its own BigInt seeds and reads only the colours (a "random" one resolved) and the picture.
 * @param {{seed: bigint, moves: Move[], truncation: number}} asked
 * @param {FaceJSON} face
 * @returns {Face}
 */
const faceOf = ({ seed, moves, truncation }, face) => ({ seed, moves, truncation, hair: face.hair, eyes: face.eyes,
  png: png(face.png), ...(face.read ? { read: face.read } : {}) });

/** @implements {FaceGenerator} */
class ServerFaceGenerator {
  /**
   * @param {Contract} contract
   * @param {{runtime: string, read_back: boolean}} health
   */
  constructor(contract, health) {
    /** @type {"server"} */
    this.mode = "server";
    this.contract = contract;
    this.label = `${contract.resolution} px · step ${contract.step} · ${health.runtime} on the server`;
    this.gpuOffered = false;
    this.readsBack = health.read_back;
    /** What every drawing request adds: the colours read back in each face, where the server can read them. */
    this.reading = this.readsBack ? { read_back: "show" } : {};
  }

  /**
   * n faces; a request with moves is a variation, which /api/generate does not draw: /api/recolour draws it.
   * @param {DrawRequest} request
   */
  async generate({ seed, n, hair, eyes, moves, truncation, onlyReadBack }) {
    if (moves.length) return this.recolour({ seed, moves, pairs: [{ hair, eyes }], truncation });
    const reading = onlyReadBack && this.readsBack ? { read_back: "only" } : this.reading;
    const data = await json("api/generate", { seed, n, hair, eyes, truncation, ...reading });
    // a face that did not read back was replaced by a candidate: its moves (one per candidate) are the server's
    return data.faces.map((/** @type {FaceJSON} */ f, /** @type {number} */ k) => faceOf(
      { seed: seed + BigInt(k), moves: f.moves, truncation }, f));
  }

  /** @param {RecolourRequest} request */
  async recolour({ seed, moves, pairs, truncation }) {
    const most = this.contract.limits.maxFaces;
    const faces = [];
    for (let i = 0; i < pairs.length; i += most) {
      const data = await json("api/recolour", { seed, moves, pairs: pairs.slice(i, i + most), truncation,
        ...this.reading });
      faces.push(...data.faces.map((/** @type {FaceJSON} */ f) => faceOf({ seed, moves, truncation }, f)));
    }
    return faces;
  }

  /** @param {VariationsRequest} request */
  async variations({ like, n, distance, truncation }) {
    const data = await json("api/variations", { like, n, distance, truncation, ...this.reading });
    return data.faces.map((/** @type {FaceJSON} */ f, /** @type {number} */ k) => faceOf(
      { seed: like.seed, moves: [...like.moves, [k, distance]], truncation }, f));
  }

  /**
   * @param {MorphRequest} request
   * @returns {Promise<Morph>}
   */
  async morph({ from, to, steps, truncation }) {
    const data = await json("api/morph", { from, to, steps, truncation });
    return {
      from: faceOf({ ...from, truncation }, data.from), to: faceOf({ ...to, truncation }, data.to),
      frames: data.frames.map(png), gif: `data:image/gif;base64,${data.gif}`,
    };
  }

  /**
   * The face as a PNG file `size` pixels a side: the server's own (Lanczos, metadata), as `acgan generate --size`
   * writes it.
   * @param {Face} face
   * @param {number} size
   */
  async picture(face, size) {
    if (size === this.contract.resolution) return new Blob([bytesOf(face.png)], { type: "image/png" });
    const { seed, moves, hair, eyes, truncation } = face;
    const body = { seed, moves, pairs: [{ hair, eyes }], size, format: "png", truncation };
    return (await request("api/recolour", body)).blob();
  }
}

/** @returns {Promise<FaceGenerator>} */
export async function open() {
  const [tags, health] = await Promise.all([json("api/tags"), json("api/healthz")]);
  return new ServerFaceGenerator(readContract(tags, "the server's /api/tags"), health);
}
