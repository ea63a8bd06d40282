// An animated GIF (GIF89a) from RGBA frames: one 256-colour palette for the whole animation by median cut, LZW
// compression, a loop forever, and an optional comment (the morph's record, as the server writes it).

const BINS = 1 << 15; // colours counted at 5 bits a channel

/**
 * @typedef {{bins: number[], pixels: number, channel: number, range: number}} Box
 *   colour bins with what splitting needs: the widest channel, its range, the pixel count
 */

/**
 * The 5-bit-a-channel bin of the pixel at byte i.
 * @param {Uint8ClampedArray} data  RGBA
 * @param {number} i
 */
function binOf(data, i) {
  return ((data[i] >> 3) << 10) | ((data[i + 1] >> 3) << 5) | (data[i + 2] >> 3);
}

/** @param {ImageData[]} frames */
function histogram(frames) {
  const count = new Uint32Array(BINS);
  const sums = new Float64Array(BINS * 3);
  for (const frame of frames) {
    for (let i = 0; i < frame.data.length; i += 4) {
      const bin = binOf(frame.data, i);
      count[bin] += 1;
      for (let c = 0; c < 3; c += 1) sums[bin * 3 + c] += frame.data[i + c];
    }
  }
  return { count, sums };
}

/**
 * @param {number} bin
 * @param {number} c
 */
const channelOf = (bin, c) => (bin >> (10 - 5 * c)) & 31;

/**
 * A box of colour bins with what splitting needs: its widest channel, that channel's range, its pixel count.
 * @param {number[]} bins
 * @param {Uint32Array} count
 * @returns {Box}
 */
function box(bins, count) {
  let best = { channel: 0, range: -1 };
  for (let c = 0; c < 3; c += 1) {
    let low = 31;
    let high = 0;
    for (const bin of bins) {
      low = Math.min(low, channelOf(bin, c));
      high = Math.max(high, channelOf(bin, c));
    }
    if (high - low > best.range) best = { channel: c, range: high - low };
  }
  let pixels = 0;
  for (const bin of bins) pixels += count[bin];
  return { bins, pixels, ...best };
}

/**
 * Split the boxes of colour bins at their pixel median along their widest channel until there are `size`.
 * @param {Uint32Array} count
 * @param {number} size
 */
function medianCut(count, size) {
  const used = [];
  for (let bin = 0; bin < BINS; bin += 1) if (count[bin]) used.push(bin);
  const boxes = [box(used, count)];
  while (boxes.length < size) {
    let pick = -1;
    boxes.forEach((b, i) => {
      if (b.range > 0 && (pick < 0 || b.pixels * b.range > boxes[pick].pixels * boxes[pick].range)) pick = i;
    });
    if (pick < 0) break;
    const { bins, channel, pixels } = boxes[pick];
    bins.sort((a, b) => channelOf(a, channel) - channelOf(b, channel));
    let seen = count[bins[0]];
    let cut = 1;
    while (cut < bins.length - 1 && seen < pixels / 2) {
      seen += count[bins[cut]];
      cut += 1;
    }
    boxes.splice(pick, 1, box(bins.slice(0, cut), count), box(bins.slice(cut), count));
  }
  return boxes;
}

/**
 * 256 RGB colours (unused entries black) and, for every used bin, the index of its colour.
 * @param {ImageData[]} frames
 */
function palette(frames) {
  const { count, sums } = histogram(frames);
  const colours = new Uint8Array(256 * 3);
  const indexOf = new Uint8Array(BINS);
  medianCut(count, 256).forEach(({ bins, pixels }, index) => {
    for (let c = 0; c < 3; c += 1) {
      let sum = 0;
      for (const bin of bins) sum += sums[bin * 3 + c];
      colours[index * 3 + c] = Math.round(sum / pixels);
    }
    for (const bin of bins) indexOf[bin] = index;
  });
  return { colours, indexOf };
}

/** LZW codes for the palette indices (minimum code size 8), packed LSB first. */
/**
 * GIF's variable-length LZW codes of 8-bit colour indices, packed into bytes.
 * @param {Uint8Array} indices
 */
function lzw(indices) {
  /** @type {number[]} */
  const bytes = [];
  let bits = 0;
  let bitCount = 0;
  let codeSize = 9;
  /** @param {number} code */
  const emit = (code) => {
    bits |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      bytes.push(bits & 0xff);
      bits >>>= 8;
      bitCount -= 8;
    }
  };
  const CLEAR = 256;
  const END = 257;
  let table = new Map();
  let next = END + 1;
  emit(CLEAR);
  let prefix = indices[0];
  for (let i = 1; i < indices.length; i += 1) {
    const key = (prefix << 8) | indices[i];
    const known = table.get(key);
    if (known !== undefined) {
      prefix = known;
      continue;
    }
    emit(prefix);
    if (next === 4096) { // the table is full: start a new one
      emit(CLEAR);
      table = new Map();
      next = END + 1;
      codeSize = 9;
    } else {
      if (next >= 1 << codeSize) codeSize += 1;
      table.set(key, next);
      next += 1;
    }
    prefix = indices[i];
  }
  emit(prefix);
  emit(END);
  if (bitCount > 0) bytes.push(bits & 0xff);
  return bytes;
}

/**
 * Bytes as GIF data sub-blocks: at most 255 each, each after its length, then an empty block.
 * @param {number[]} out
 * @param {number[]} bytes
 */
function putSubBlocks(out, bytes) {
  for (let i = 0; i < bytes.length; i += 255) {
    const end = Math.min(i + 255, bytes.length);
    out.push(end - i);
    for (let j = i; j < end; j += 1) out.push(bytes[j]);
  }
  out.push(0);
}

/** @param {number} n */
const u16 = (n) => [n & 0xff, (n >> 8) & 0xff];
/** @param {string} text */
const ascii = (text) => Array.from(new TextEncoder().encode(text));

/**
 * An endlessly looping GIF of ImageData frames (all one size); delays in hundredths of a second.
 * @param {ImageData[]} frames
 * @param {number[]} delays
 * @param {string} [comment]
 */
export function encodeGif(frames, delays, comment = "") {
  const { width, height } = frames[0];
  const { colours, indexOf } = palette(frames);
  const out = [...ascii("GIF89a"), ...u16(width), ...u16(height), 0xf7, 0, 0, ...colours];
  out.push(0x21, 0xff, 11, ...ascii("NETSCAPE2.0"), 3, 1, 0, 0, 0); // loop forever
  if (comment) {
    out.push(0x21, 0xfe);
    putSubBlocks(out, ascii(comment));
  }
  frames.forEach((frame, f) => {
    const indices = new Uint8Array(width * height);
    for (let p = 0; p < indices.length; p += 1) indices[p] = indexOf[binOf(frame.data, p * 4)];
    out.push(0x21, 0xf9, 4, 0x04, ...u16(delays[f]), 0, 0); // disposal: leave the frame in place
    out.push(0x2c, 0, 0, 0, 0, ...u16(width), ...u16(height), 0, 8);
    putSubBlocks(out, lzw(indices));
  });
  out.push(0x3b);
  return new Uint8Array(out);
}
