// The page's FaceGenerator, its side of acgan/sample/generator.py: one page, two ways to draw. The page says which
// in <meta name="acgan-mode">: "server" (`acgan serve`: the JSON API draws, server.js) or "browser" (`acgan site`:
// ONNX Runtime Web draws here, browser.js). Both give a FaceGenerator (contract.js says what it offers), so the
// rest of the page never asks which.

/** @typedef {import("./contract.js").FaceGenerator} FaceGenerator */

/** @returns {"server" | "browser"} */
export function pageMode() {
  const meta = document.querySelector('meta[name="acgan-mode"]');
  return meta instanceof HTMLMetaElement && meta.content === "browser" ? "browser" : "server";
}

/**
 * What draws this page's faces; onProgress(loaded bytes, total bytes) while a browser loads its model.
 * @param {(loaded: number, total: number) => void} onProgress
 * @returns {Promise<FaceGenerator>}
 */
export async function openGenerator(onProgress) {
  return pageMode() === "browser" ? (await import("./browser.js")).open(onProgress)
    : (await import("./server.js")).open();
}
