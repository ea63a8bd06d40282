// One page, two backends. The page says which in <meta name="acgan-mode">: "server" (`acgan serve`: the JSON API
// draws) or "browser" (`acgan site`: ONNX Runtime Web draws here). Both offer the same calls:
//   info                                  colours with swatches, resolution, limits, source, step
//   label                                 one line about the model for the header
//   generate({seed, n, hair, eyes})       n faces, face k from seed + k; "random" colours chosen from each seed
//   recolour({seed, pairs})               one face (one noise) in each colour pair
//   morph({from, to, steps})              frames between two faces, and an animated GIF
//   picture(face, size)                   a face as a PNG Blob, size pixels a side (upscaled with Lanczos)
// A face is {seed: BigInt, hair, eyes, png: data URL}. Calls that cannot reach what draws throw Unreachable.

export const DEVICE_KEY = "acgan.device"; // localStorage: "webgpu" when the visitor chose the GPU (browser mode)

/** What draws the faces cannot be reached (the server stopped, the model files did not load): try again later. */
export class Unreachable extends Error {}

export function pageMode() {
  const meta = document.querySelector('meta[name="acgan-mode"]');
  return meta && meta.content === "browser" ? "browser" : "server";
}

/** The backend for this page; onProgress(loaded bytes, total bytes) while a browser backend loads its model. */
export async function openBackend(onProgress) {
  const module = pageMode() === "browser" ? await import("./browser.js") : await import("./server.js");
  return module.open(onProgress);
}
