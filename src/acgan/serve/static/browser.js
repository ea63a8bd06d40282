// The page's backend on a static site (`acgan site`): the generator runs here, in ONNX Runtime Web, on the noise
// noise.js makes from each seed, so the faces are the ones `acgan generate` draws. Nothing leaves this site: the
// model, its metadata and the runtime are files beside the page (model/, ort/).
import { DEVICE_KEY, Unreachable } from "./backend.js";
import { RANDOM } from "./dom.js";
import { encodeGif } from "./gif.js";
import { noiseForSeed, randomColours, slerp } from "./noise.js";
import { dataUrl, enlarge, facePixels, pngFile, upscale } from "./pictures.js";
import { jsonText } from "./seeds.js";

const MORPH_SIZE = 128; // GIF frames are enlarged to about this many pixels, as the server's are
const RUNTIMES = {
  wasm: { module: "ort/ort.wasm.min.mjs", wasm: "ort/ort-wasm-simd-threaded.wasm", name: "WebAssembly" },
  webgpu: { module: "ort/ort.webgpu.min.mjs", wasm: "ort/ort-wasm-simd-threaded.asyncify.wasm", name: "WebGPU" },
};

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

/** A file's bytes, calling onBytes(n) as each piece arrives (the loading bar). */
async function fetchBytes(url, onBytes) {
  const reader = (await fetchOrFail(url)).body.getReader();
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

/** Whether this site ships the WebGPU runtime and this browser has WebGPU: then the page offers the choice. */
export function gpuOffered(meta) {
  return Boolean(meta.runtime.webgpu && navigator.gpu);
}

function runtimeFor(meta) {
  return gpuOffered(meta) && localStorage.getItem(DEVICE_KEY) === "webgpu" ? "webgpu" : "wasm";
}

export async function open(onProgress = () => {}) {
  const meta = await (await fetchOrFail("model/model.json")).json();
  const device = runtimeFor(meta);
  const runtime = RUNTIMES[device];
  const total = meta.generator.bytes + meta.runtime.files[runtime.wasm];
  let loaded = 0;
  const onBytes = (n) => { loaded += n; onProgress(loaded, total); };
  const [model, wasm] = await Promise.all([fetchBytes(meta.generator.file, onBytes), fetchBytes(runtime.wasm, onBytes)]);
  const ort = await import(new URL(runtime.module, document.baseURI).href);
  ort.env.wasm.wasmBinary = wasm;
  ort.env.wasm.numThreads = 1; // threads need a cross-origin-isolated page, which a static host cannot promise
  const session = await ort.InferenceSession.create(model, { executionProviders: [device] });
  return new BrowserBackend(meta, ort, session, runtime.name);
}

function blend(n, from, to, t) {
  const weights = new Float32Array(n);
  weights[from] += 1 - t;
  weights[to] += t;
  return weights;
}

class BrowserBackend {
  constructor(meta, ort, session, deviceName) {
    this.mode = "browser";
    this.meta = meta;
    this.ort = ort;
    this.session = session;
    this.info = {
      hair: meta.hair, eyes: meta.eyes, resolution: meta.resolution, maxFaces: meta.max_faces,
      maxSteps: meta.max_steps, source: meta.source, step: meta.step, gpuOffered: gpuOffered(meta),
    };
    this.label = `${meta.resolution} px · step ${meta.step} · in your browser (${deviceName})`;
    this.queue = Promise.resolve(); // one run at a time, as the server keeps one
  }

  index(attribute, name) {
    const index = this.info[attribute].findIndex((s) => s.name === name);
    if (index < 0) throw new Error(`unknown ${attribute} colour "${name}"`);
    return index;
  }

  /** The face a request names: "random" becomes the colour the seed's colour stream picks. */
  resolve(seed, hair, eyes) {
    const [hairPick, eyesPick] = randomColours(seed, this.info.hair.length, this.info.eyes.length);
    return {
      seed,
      hair: hair === RANDOM ? this.info.hair[hairPick].name : this.info.hair[this.index("hair", hair)].name,
      eyes: eyes === RANDOM ? this.info.eyes[eyesPick].name : this.info.eyes[this.index("eyes", eyes)].name,
    };
  }

  /** ImageData per row of (noise, hair weights, eye weights), drawn in one batch. */
  async draw(noises, hairWeights, eyesWeights) {
    const { Tensor } = this.ort;
    const n = noises.length;
    const stack = (rows, width) => {
      const flat = new Float32Array(n * width);
      rows.forEach((row, i) => flat.set(row, i * width));
      return new Tensor("float32", flat, [n, width]);
    };
    const feeds = {
      z: stack(noises, this.meta.z_dim), hair: stack(hairWeights, this.info.hair.length),
      eyes: stack(eyesWeights, this.info.eyes.length),
    };
    const run = this.queue.then(() => this.session.run(feeds));
    this.queue = run.catch(() => {});
    const { image } = await run;
    const side = this.info.resolution;
    return Array.from({ length: n }, (_, i) => facePixels(image.data, i, side));
  }

  record(face, extra = {}) {
    return jsonText({ source: this.info.source, step: this.info.step, seed: face.seed, hair: face.hair,
      eyes: face.eyes, ...extra });
  }

  /** Faces {seed, hair, eyes} (colour names resolved) drawn, each with its PNG and its pixels. */
  async faces(wanted) {
    const oneHot = (attribute, name) => blend(this.info[attribute].length, this.index(attribute, name),
      this.index(attribute, name), 0);
    const images = await this.draw(wanted.map((f) => noiseForSeed(f.seed, this.meta.z_dim)),
      wanted.map((f) => oneHot("hair", f.hair)), wanted.map((f) => oneHot("eyes", f.eyes)));
    return Promise.all(wanted.map(async (face, i) => ({
      ...face, pixels: images[i], png: dataUrl(await pngFile(images[i], this.record(face)), "image/png"),
    })));
  }

  generate({ seed, n, hair, eyes }) {
    return this.faces(Array.from({ length: n }, (_, k) => this.resolve(seed + BigInt(k), hair, eyes)));
  }

  recolour({ seed, pairs }) {
    return this.faces(pairs.map((pair) => this.resolve(seed, pair.hair, pair.eyes)));
  }

  /** acgan.sample.generator.FaceGenerator.morph in the browser: noise on a great circle, colours blended. */
  async morph({ from, to, steps }) {
    const start = this.resolve(from.seed, from.hair, from.eyes);
    const end = this.resolve(to.seed, to.hair, to.eyes);
    const ts = Array.from({ length: steps }, (_, i) => i / (steps - 1));
    const z = this.meta.z_dim;
    const colours = (attribute) => ts.map((t) => blend(this.info[attribute].length,
      this.index(attribute, start[attribute]), this.index(attribute, end[attribute]), t));
    const images = await this.draw(slerp(noiseForSeed(start.seed, z), noiseForSeed(end.seed, z), ts),
      colours("hair"), colours("eyes"));
    const keys = ["seed", "hair", "eyes"];
    const pick = (face) => Object.fromEntries(keys.map((k) => [k, face[k]]));
    const record = { source: this.info.source, step: this.info.step, from: pick(start), to: pick(end), steps };
    const frames = await Promise.all(images.map(async (image, i) => dataUrl(
      await pngFile(image, jsonText({ ...record, frame: i })), "image/png")));
    const scale = Math.max(1, Math.floor(MORPH_SIZE / this.info.resolution));
    const big = images.map((image) => enlarge(image, scale));
    const there = [...big, ...big.slice(1, -1).reverse()]; // there and back, as the server's GIF
    const delays = there.map((_, i) => (i === 0 || i === big.length - 1 ? 70 : 12));
    return {
      from: { ...start, pixels: images[0], png: frames[0] },
      to: { ...end, pixels: images[images.length - 1], png: frames[frames.length - 1] },
      frames, gif: dataUrl(encodeGif(there, delays, jsonText(record)), "image/gif"),
    };
  }

  /** The face as a PNG file `size` pixels a side: upscaled with Lanczos as Pillow does it, with its metadata. */
  async picture(face, size) {
    const drawn = face.pixels ? face : (await this.faces([this.resolve(face.seed, face.hair, face.eyes)]))[0];
    const image = size === this.info.resolution ? drawn.pixels : upscale(drawn.pixels, size);
    return new Blob([await pngFile(image, this.record(drawn))], { type: "image/png" });
  }
}
