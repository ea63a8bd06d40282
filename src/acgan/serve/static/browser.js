// The page's FaceGenerator on a static site (`acgan site`): the generator runs here, in ONNX Runtime Web, on the
// noise noise.js makes from each seed, so the faces are the ones `acgan generate` draws. Nothing leaves this site:
// the model, its metadata and contract (model.json) and the runtime are files beside the page (model/, ort/).
import { DEVICE_KEY, readContract, Unreachable } from "./contract.js";
import { encodeGif } from "./gif.js";
import { noiseForFace, randomColours, slerp, truncated } from "./noise.js";
import { dataUrl, enlarge, facePixels, pngFile, upscale } from "./pictures.js";
import { jsonText } from "./seeds.js";

/**
 * @typedef {import("./contract.js").ColoursRead} ColoursRead
 * @typedef {import("./contract.js").Contract} Contract
 * @typedef {import("./contract.js").DrawRequest} DrawRequest
 * @typedef {import("./contract.js").Face} Face
 * @typedef {import("./contract.js").FaceGenerator} FaceGenerator
 * @typedef {import("./contract.js").FaceRequest} FaceRequest
 * @typedef {import("./contract.js").Morph} Morph
 * @typedef {import("./contract.js").MorphRequest} MorphRequest
 * @typedef {import("./contract.js").Move} Move
 * @typedef {import("./contract.js").RecolourRequest} RecolourRequest
 * @typedef {import("./contract.js").VariationsRequest} VariationsRequest
 * @typedef {"hair" | "eyes"} Attribute
 * @typedef {{seed: bigint, hair: string, eyes: string, moves: Move[]}} Resolved  a face whose colours are the
 *   model's own names
 * @typedef {{module: string, wasm: string, name: string}} Runtime
 * @typedef {any} Ort  ONNX Runtime Web's module, loaded from the site's own ort/ folder
 */

const MODEL_JSON = "model/model.json";

/** @type {{wasm: Runtime, webgpu: Runtime}} */
const RUNTIMES = {
  wasm: { module: "ort/ort.wasm.min.mjs", wasm: "ort/ort-wasm-simd-threaded.wasm", name: "WebAssembly" },
  webgpu: { module: "ort/ort.webgpu.min.mjs", wasm: "ort/ort-wasm-simd-threaded.asyncify.wasm", name: "WebGPU" },
};

/** @param {string} url */
async function fetchOrFail(url) {
  let response;
  try {
    response = await fetch(url);
  } catch {
    throw new Unreachable(`The model could not be loaded: ${url} did not arrive (is the site still served?).`);
  }
  if (!response.ok) throw new Unreachable(`The model could not be loaded: ${url} answered ${response.status}.`);
  return response;
}

/**
 * A file's bytes, calling onBytes(n) as each piece arrives (the loading bar).
 * @param {string} url
 * @param {(n: number) => void} onBytes
 */
async function fetchBytes(url, onBytes) {
  const body = (await fetchOrFail(url)).body;
  if (!body) throw new Unreachable(`The model could not be loaded: ${url} came empty.`);
  const reader = body.getReader();
  const pieces = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces.push(value);
    length += value.length;
    onBytes(value.length);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

/**
 * Whether this site ships the WebGPU runtime and this browser has WebGPU: then the page offers the choice.
 * @param {any} meta  model.json
 */
function gpuOffered(meta) {
  return Boolean(meta.runtime.webgpu && "gpu" in navigator && navigator.gpu);
}

/**
 * @param {(loaded: number, total: number) => void} onProgress
 * @returns {Promise<FaceGenerator>}
 */
export async function open(onProgress) {
  const meta = await (await fetchOrFail(MODEL_JSON)).json();
  const contract = readContract(meta, MODEL_JSON); // before anything else loads: a broken one stops here
  const device = gpuOffered(meta) && localStorage.getItem(DEVICE_KEY) === "webgpu" ? "webgpu" : "wasm";
  const runtime = RUNTIMES[device];
  const total = meta.generator.bytes + meta.runtime.files[runtime.wasm] + (meta.tagger?.bytes ?? 0);
  let loaded = 0;
  /** @param {number} n */
  const onBytes = (n) => { loaded += n; onProgress(loaded, total); };
  const [model, wasm, taggerModel] = await Promise.all([fetchBytes(meta.generator.file, onBytes),
    fetchBytes(runtime.wasm, onBytes), meta.tagger ? fetchBytes(meta.tagger.file, onBytes) : null]);
  /** @type {Ort} */
  const ort = await import(new URL(runtime.module, document.baseURI).href);
  ort.env.wasm.wasmBinary = wasm;
  // Threads share memory, which a browser allows only a cross-origin-isolated page (COOP and COEP headers, from
  // `acgan serve` or the site's service worker: isolation.js); elsewhere one thread, as ONNX Runtime falls back to.
  // Half the cores, at most 4 (ONNX Runtime's own choice): the page's other work needs a core too. One thread per
  // core measured slower on 2 busy cores (a redraw of 8 faces 823-908 ms against 630-656 ms with one thread).
  ort.env.wasm.numThreads = crossOriginIsolated ? Math.min(4, Math.ceil(navigator.hardwareConcurrency / 2)) : 1;
  const session = await ort.InferenceSession.create(model, { executionProviders: [device] });
  // Under WebGPU the tagger's few shape operations run on the CPU, which ONNX Runtime reports as a warning to the
  // console: expected, so only its errors are shown.
  const tagger = taggerModel && await ort.InferenceSession.create(taggerModel, { executionProviders: [device],
    logSeverityLevel: 3 });
  return new BrowserFaceGenerator(contract, meta.z_dim, ort, session, tagger, runtime.name, gpuOffered(meta));
}

/**
 * Per-colour weights going from one-hot `from` to one-hot `to` at t in [0, 1].
 * @param {number} n
 * @param {number} from
 * @param {number} to
 * @param {number} t
 */
function blend(n, from, to, t) {
  const weights = new Float32Array(n);
  weights[from] += 1 - t;
  weights[to] += t;
  return weights;
}

/**
 * A face as contract.face_json writes it: "moves" only for a variation.
 * @param {Resolved} face
 */
function faceJson({ seed, hair, eyes, moves }) {
  return { seed, hair, eyes, ...(moves.length ? { moves } : {}) };
}

/** @implements {FaceGenerator} */
class BrowserFaceGenerator {
  /**
   * @param {Contract} contract
   * @param {number} zDim
   * @param {Ort} ort
   * @param {any} session  an ort.InferenceSession over the generator
   * @param {any} tagger  one over the shipped tagger (model/tagger.onnx), or null when the site has none
   * @param {string} deviceName
   * @param {boolean} gpu  whether the visitor may choose WebGPU
   */
  constructor(contract, zDim, ort, session, tagger, deviceName, gpu) {
    /** @type {"browser"} */
    this.mode = "browser";
    this.contract = contract;
    this.zDim = zDim;
    this.ort = ort;
    this.session = session;
    this.tagger = tagger;
    this.readsBack = tagger !== null;
    this.gpuOffered = gpu;
    this.label = `${contract.resolution} px · step ${contract.step} · in your browser (${deviceName})`;
    /** @type {Promise<unknown>} one run at a time, as the server keeps one */
    this.queue = Promise.resolve();
  }

  /**
   * @param {Attribute} attribute
   * @param {string} name
   */
  index(attribute, name) {
    const index = this.contract[attribute].findIndex((s) => s.name === name);
    if (index < 0) throw new Error(`unknown ${attribute} colour "${name}"`);
    return index;
  }

  /**
   * The face a request names: "random" becomes the colour the seed's colour stream picks (a variation's too).
   * @param {bigint} seed
   * @param {string} hair
   * @param {string} eyes
   * @param {Move[]} moves
   * @returns {Resolved}
   */
  resolve(seed, hair, eyes, moves) {
    const { hair: hairs, eyes: eyess, random } = this.contract;
    const [hairPick, eyesPick] = randomColours(seed, hairs.length, eyess.length);
    return {
      seed,
      hair: hair === random ? hairs[hairPick].name : hairs[this.index("hair", hair)].name,
      eyes: eyes === random ? eyess[eyesPick].name : eyess[this.index("eyes", eyes)].name,
      moves,
    };
  }

  /**
   * What drew a picture, as records.py's Maker.json writes it: the truncation only when it is not the default.
   * @param {number} truncation
   */
  maker(truncation) {
    const { source, step } = this.contract;
    return { source, step, ...(truncation === this.contract.truncation.default ? {} : { truncation }) };
  }

  /**
   * ImageData per row of (noise, hair weights, eye weights), drawn in one batch.
   * @param {Float32Array[]} noises
   * @param {Float32Array[]} hairWeights
   * @param {Float32Array[]} eyesWeights
   * @returns {Promise<ImageData[]>}
   */
  async draw(noises, hairWeights, eyesWeights) {
    const image = await this.run(noises, hairWeights, eyesWeights);
    const side = this.contract.resolution;
    return Array.from({ length: noises.length }, (_, i) => facePixels(image.data, i, side));
  }

  /**
   * The generator's output for rows of (noise, hair weights, eye weights): float32 (n, 3, side, side) in [-1, 1].
   * @param {Float32Array[]} noises
   * @param {Float32Array[]} hairWeights
   * @param {Float32Array[]} eyesWeights
   * @returns {Promise<any>}  an ort.Tensor
   */
  async run(noises, hairWeights, eyesWeights) {
    const { Tensor } = this.ort;
    const n = noises.length;
    /**
     * @param {Float32Array[]} rows
     * @param {number} width
     */
    const stack = (rows, width) => {
      const flat = new Float32Array(n * width);
      rows.forEach((row, i) => flat.set(row, i * width));
      return new Tensor("float32", flat, [n, width]);
    };
    const feeds = {
      z: stack(noises, this.zDim), hair: stack(hairWeights, this.contract.hair.length),
      eyes: stack(eyesWeights, this.contract.eyes.length),
    };
    return (await this.queued(() => this.session.run(feeds))).image;
  }

  /**
   * `work` after the runs before it: one run at a time, as the server keeps one.
   * @param {() => Promise<any>} work
   */
  queued(work) {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * The colours the shipped tagger (model/tagger.onnx) reads in each face of the generator's output `image`, as
   * judge/tagger.py does: the largest logit of each (the first of equal ones); none without a tagger.
   * @param {any} image  an ort.Tensor
   * @returns {Promise<(ColoursRead | undefined)[]>}
   */
  async read(image) {
    if (!this.tagger) return [];
    const logits = await this.queued(() => this.tagger.run({ image }));
    /** @param {Attribute} attribute  @param {number} row */
    const largest = (attribute, row) => {
      const width = this.contract[attribute].length;
      const values = logits[attribute].data.subarray(row * width, (row + 1) * width);
      return this.contract[attribute][values.indexOf(Math.max(...values))].name;
    };
    return Array.from({ length: image.dims[0] },
      (_, row) => ({ hair: largest("hair", row), eyes: largest("eyes", row) }));
  }

  /**
   * The JSON a face's PNG carries, as `acgan generate` writes it (records.py's face_record).
   * @param {Resolved} face
   * @param {number} truncation
   */
  record(face, truncation) {
    return jsonText({ ...this.maker(truncation), ...faceJson(face) });
  }

  /**
   * The noise of each face, times the truncation.
   * @param {Resolved[]} faces
   * @param {number} truncation
   */
  noise(faces, truncation) {
    return faces.map((face) => truncated(noiseForFace(face, this.zDim), truncation));
  }

  /**
   * Faces (colour names resolved) drawn at a truncation, each with its PNG and its pixels.
   * @param {Resolved[]} wanted
   * @param {number} truncation
   * @returns {Promise<Face[]>}
   */
  async faces(wanted, truncation) {
    /**
     * @param {Attribute} attribute
     * @param {string} name
     */
    const oneHot = (attribute, name) => blend(this.contract[attribute].length, this.index(attribute, name),
      this.index(attribute, name), 0);
    const image = await this.run(this.noise(wanted, truncation), wanted.map((f) => oneHot("hair", f.hair)),
      wanted.map((f) => oneHot("eyes", f.eyes)));
    const read = await this.read(image);
    return Promise.all(wanted.map(async (face, i) => {
      const pixels = facePixels(image.data, i, this.contract.resolution);
      return { ...face, truncation, pixels, ...(read[i] ? { read: read[i] } : {}),
        png: dataUrl(await pngFile(pixels, this.record(face, truncation)), "image/png") };
    }));
  }

  /** @param {DrawRequest} request */
  async generate({ seed, n, hair, eyes, moves, truncation, onlyReadBack }) {
    const wanted = Array.from({ length: n }, (_, k) => this.resolve(seed + BigInt(k), hair, eyes, moves));
    const faces = await this.faces(wanted, truncation);
    return onlyReadBack && this.tagger ? this.keepReadBack(wanted, faces, truncation) : faces;
  }

  /**
   * judge/readback.py's agreeing_faces in the browser: each face whose colours the tagger does not read as asked
   * gives way to the first of its candidates that it does (candidate j: its variation [j, readBack.distance]),
   * drawn a round at a time for the faces still waiting, as Python draws them; one no candidate fixes is kept.
   * @param {Resolved[]} wanted
   * @param {Face[]} faces  `wanted` as drawn
   * @param {number} truncation
   */
  async keepReadBack(wanted, faces, truncation) {
    const { tries, distance } = this.contract.readBack;
    /** @param {Face} face */
    const agrees = (face) => face.read?.hair === face.hair && face.read?.eyes === face.eyes;
    const chosen = [...faces];
    let waiting = chosen.flatMap((face, i) => (agrees(face) ? [] : [i]));
    for (let j = 0; j < tries - 1 && waiting.length; j += 1) {
      const candidates = await this.faces(waiting.map((i) => ({ ...wanted[i], moves: [...wanted[i].moves,
        /** @type {Move} */ ([j, distance])] })), truncation);
      candidates.forEach((face, k) => { if (agrees(face)) chosen[waiting[k]] = face; });
      waiting = waiting.filter((_, k) => !agrees(candidates[k]));
    }
    return chosen;
  }

  /** @param {RecolourRequest} request */
  recolour({ seed, moves, pairs, truncation }) {
    return this.faces(pairs.map((pair) => this.resolve(seed, pair.hair, pair.eyes, moves)), truncation);
  }

  /**
   * FaceGenerator.variations in the browser: variation k is `like` with the move [k, distance] added.
   * @param {VariationsRequest} request
   */
  variations({ like, n, distance, truncation }) {
    const { seed, hair, eyes, moves } = this.resolve(like.seed, like.hair, like.eyes, like.moves);
    return this.faces(Array.from({ length: n }, (_, k) => ({ seed, hair, eyes, moves: [...moves, [k, distance]] })),
      truncation);
  }

  /**
   * acgan.sample.generator.FaceGenerator.morph in the browser: noise on a great circle, colours blended; the GIF
   * as acgan.sample.pictures.Morph.gif makes it (the contract's frame size and timing).
   * @param {MorphRequest} request
   * @returns {Promise<Morph>}
   */
  async morph({ from, to, steps, truncation }) {
    const start = this.resolve(from.seed, from.hair, from.eyes, from.moves);
    const end = this.resolve(to.seed, to.hair, to.eyes, to.moves);
    const ts = Array.from({ length: steps }, (_, i) => i / (steps - 1));
    /** @param {Attribute} attribute */
    const colours = (attribute) => ts.map((t) => blend(this.contract[attribute].length,
      this.index(attribute, start[attribute]), this.index(attribute, end[attribute]), t));
    const [a, b] = this.noise([start, end], truncation);
    const images = await this.draw(slerp(a, b, ts), colours("hair"), colours("eyes"));
    const record = { ...this.maker(truncation), from: faceJson(start), to: faceJson(end), steps };
    const frames = await Promise.all(images.map(async (image, i) => dataUrl(
      await pngFile(image, jsonText({ ...record, frame: i })), "image/png")));
    const { size, holdMs, frameMs } = this.contract.morph;
    const big = images.map((image) => enlarge(image, Math.max(1, Math.floor(size / this.contract.resolution))));
    const there = [...big, ...big.slice(1, -1).reverse()]; // there and back, as the server's GIF
    const delays = there.map((_, i) => Math.round((i === 0 || i === big.length - 1 ? holdMs : frameMs) / 10));
    return {
      from: { ...start, truncation, pixels: images[0], png: frames[0] },
      to: { ...end, truncation, pixels: images[images.length - 1], png: frames[frames.length - 1] },
      frames, gif: dataUrl(encodeGif(there, delays, jsonText(record)), "image/gif"),
    };
  }

  /**
   * The face as a PNG file `size` pixels a side: upscaled with Lanczos as Pillow does it, with its metadata.
   * @param {Face} face
   * @param {number} size
   */
  async picture(face, size) {
    const drawn = face.pixels ? face
      : (await this.faces([this.resolve(face.seed, face.hair, face.eyes, face.moves)], face.truncation))[0];
    const pixels = /** @type {ImageData} */ (drawn.pixels);
    const image = size === this.contract.resolution ? pixels : upscale(pixels, size);
    return new Blob([await pngFile(image, this.record(drawn, drawn.truncation))], { type: "image/png" });
  }
}
