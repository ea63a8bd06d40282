// Pictures made in the browser, the page's side of acgan/sample/pictures.py and images.py: the generator's floats as
// pixels (rounded as acgan.sample.images.to_uint8 rounds them), PNG files with the same "acgan" metadata the CLI
// writes, and Lanczos upscaling as Pillow does it.
import { crc32 } from "./zip.js";

/**
 * Face `index` of a (batch, 3, side, side) float32 output in [-1, 1] as RGBA ImageData. Mirrors torch's float32
 * steps, (x.clamp(-1, 1) + 1) * 127.5 then round half to even, so the pixels are the CLI's.
 * @param {Float32Array} output
 * @param {number} index
 * @param {number} side
 */
export function facePixels(output, index, side) {
  const plane = side * side;
  const base = index * 3 * plane;
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p += 1) {
    for (let c = 0; c < 3; c += 1) {
      const x = Math.min(1, Math.max(-1, output[base + c * plane + p]));
      const level = Math.fround(Math.fround(x + 1) * 127.5);
      let rounded = Math.round(level);
      if (rounded - level === 0.5 && rounded % 2 === 1) rounded -= 1; // a tie goes to the even level
      rgba[p * 4 + c] = rounded;
    }
    rgba[p * 4 + 3] = 255;
  }
  return new ImageData(rgba, side, side);
}

/**
 * @param {ImageData} image
 * @returns {Promise<Uint8Array>}
 */
async function canvasPng(image) {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(image.width, image.height);
    /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
    return new Uint8Array(await (await canvas.convertToBlob({ type: "image/png" })).arrayBuffer());
  }
  const canvas = Object.assign(document.createElement("canvas"), { width: image.width, height: image.height });
  /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d")).putImageData(image, 0, 0);
  /** @type {Blob | null} */
  const blob = await new Promise((resolve) => { canvas.toBlob(resolve, "image/png"); });
  if (!blob) throw new Error("the browser could not encode a PNG");
  return new Uint8Array(await blob.arrayBuffer());
}

/**
 * The PNG with a tEXt chunk `keyword` = `text` (Latin-1) right after its header chunk.
 * @param {Uint8Array} png
 * @param {string} keyword
 * @param {string} text
 */
export function withText(png, keyword, text) {
  const data = new TextEncoder().encode(`${keyword}\u0000${text}`); // ASCII text: its UTF-8 is its Latin-1
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set([0x74, 0x45, 0x58, 0x74], 4); // "tEXt"
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  const headerEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8); // signature + IHDR
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, headerEnd));
  out.set(chunk, headerEnd);
  out.set(png.subarray(headerEnd), headerEnd + chunk.length);
  return out;
}

/**
 * PNG bytes of an ImageData, carrying `record` (JSON text) as the "acgan" metadata `acgan generate --like` reads.
 * @param {ImageData} image
 * @param {string} record
 */
export async function pngFile(image, record) {
  return withText(await canvasPng(image), "acgan", record);
}

/**
 * @param {Uint8Array} bytes
 * @param {string} type
 */
export function dataUrl(bytes, type) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:${type};base64,${btoa(binary)}`;
}

/** @param {string} url  a data: URL */
export function bytesOf(url) {
  const binary = atob(url.slice(url.indexOf(",") + 1));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

// --- resizing ---------------------------------------------------------------------------------------------------

const PRECISION_BITS = 22; // Pillow's fixed-point weights for 8-bit images

/** @param {number} x */
function lanczos(x) {
  /** @param {number} t */
  const sinc = (t) => (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t));
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/**
 * Pillow's Lanczos weights for enlarging `from` pixels to `to`: for each output pixel, its first input pixel and
 * integer weights that sum to about 2**22.
 * @param {number} from
 * @param {number} to
 * @returns {{first: number, fixed: number[]}[]}
 */
function weights(from, to) {
  const scale = from / to;
  const support = 3 * Math.max(scale, 1);
  return Array.from({ length: to }, (_, out) => {
    const center = (out + 0.5) * scale;
    const first = Math.max(Math.trunc(center - support + 0.5), 0);
    const last = Math.min(Math.trunc(center + support + 0.5), from);
    const raw = [];
    for (let x = first; x < last; x += 1) raw.push(lanczos((x - center + 0.5) / Math.max(scale, 1)));
    const total = raw.reduce((a, b) => a + b, 0);
    const fixed = raw.map((w) => Math.trunc((w / total) * 2 ** PRECISION_BITS + (w < 0 ? -0.5 : 0.5)));
    return { first, fixed };
  });
}

/** @param {number} sum */
function clip8(sum) {
  return Math.min(255, Math.max(0, Math.floor(sum / 2 ** PRECISION_BITS)));
}

/**
 * One direction of Pillow's two-pass resize.
 * @param {Uint8ClampedArray} source  RGBA
 * @param {number} width
 * @param {number} height
 * @param {{first: number, fixed: number[]}[]} taps
 * @param {boolean} horizontal
 */
function resamplePass(source, width, height, taps, horizontal) {
  const outWidth = horizontal ? taps.length : width;
  const outHeight = horizontal ? height : taps.length;
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      const { first, fixed } = taps[horizontal ? x : y];
      for (let c = 0; c < 3; c += 1) {
        let sum = 2 ** (PRECISION_BITS - 1);
        for (let k = 0; k < fixed.length; k += 1) {
          const index = horizontal ? (y * width + first + k) * 4 : ((first + k) * width + x) * 4;
          sum += source[index + c] * fixed[k];
        }
        out[(y * outWidth + x) * 4 + c] = clip8(sum);
      }
      out[(y * outWidth + x) * 4 + 3] = 255;
    }
  }
  return out;
}

/**
 * The picture at size x size pixels with Lanczos, as Pillow's Image.resize(LANCZOS) makes it (within a level).
 * @param {ImageData} image
 * @param {number} size
 */
export function upscale(image, size) {
  const rows = resamplePass(image.data, image.width, image.height, weights(image.width, size), true);
  return new ImageData(resamplePass(rows, size, image.height, weights(image.height, size), false), size, size);
}

/**
 * Every pixel as a block of scale x scale pixels (the morph's GIF frames, as the server scales them).
 * @param {ImageData} image
 * @param {number} scale
 */
export function enlarge(image, scale) {
  if (scale === 1) return image;
  const width = image.width * scale;
  const out = new Uint8ClampedArray(width * image.height * scale * 4);
  for (let y = 0; y < image.height * scale; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const from = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 4;
      out.set(image.data.subarray(from, from + 4), (y * width + x) * 4);
    }
  }
  return new ImageData(out, width, image.height * scale);
}
