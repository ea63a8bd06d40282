// A ZIP archive of files stored as they are (PNGs are compressed already): local headers, the files, a central
// directory and its end record (PKWARE APPNOTE 4.3). Names are UTF-8 (flag bit 11). Also the CRC-32 PNG chunks use.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (ISO 3309, as ZIP and PNG use it) of some bytes.
 * @param {Uint8Array} bytes
 * @param {number} [crc]  the CRC of the bytes before these
 */
export function crc32(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i += 1) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * @typedef {{crc: number, size: number, time: number, day: number, nameLength: number}} Entry
 */

/**
 * MS-DOS time and date words, as ZIP stores them.
 * @param {Date} date
 */
function dosTime(date) {
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2);
  const day = ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return [time, day];
}

/** @param {number} size */
function header(size) {
  const bytes = new Uint8Array(size);
  return { bytes, view: new DataView(bytes.buffer) };
}

// The fields a local header (from byte 4) and a central header (from byte 6) share, in the same order.
/**
 * @param {DataView} view
 * @param {number} at
 * @param {Entry} entry
 */
function putEntry(view, at, { crc, size, time, day, nameLength }) {
  view.setUint16(at, 20, true); // version needed: 2.0
  view.setUint16(at + 2, 0x0800, true); // names are UTF-8
  view.setUint16(at + 4, 0, true); // stored
  view.setUint16(at + 6, time, true);
  view.setUint16(at + 8, day, true);
  view.setUint32(at + 10, crc, true);
  view.setUint32(at + 14, size, true); // compressed size: the same, stored
  view.setUint32(at + 18, size, true);
  view.setUint16(at + 22, nameLength, true);
}

/**
 * @param {Uint8Array} name  UTF-8
 * @param {Entry} entry
 */
function localHeader(name, entry) {
  const { bytes, view } = header(30 + name.length);
  view.setUint32(0, 0x04034b50, true);
  putEntry(view, 4, entry);
  bytes.set(name, 30);
  return bytes;
}

/**
 * @param {Uint8Array} name  UTF-8
 * @param {Entry} entry
 * @param {number} offset  of the file's local header
 */
function centralHeader(name, entry, offset) {
  const { bytes, view } = header(46 + name.length);
  view.setUint32(0, 0x02014b50, true);
  view.setUint16(4, 20, true); // made by: 2.0
  putEntry(view, 6, entry);
  view.setUint32(42, offset, true);
  bytes.set(name, 46);
  return bytes;
}

/**
 * @param {number} count
 * @param {number} directorySize
 * @param {number} directoryOffset
 */
function endRecord(count, directorySize, directoryOffset) {
  const { bytes, view } = header(22);
  view.setUint32(0, 0x06054b50, true);
  view.setUint16(8, count, true);
  view.setUint16(10, count, true);
  view.setUint32(12, directorySize, true);
  view.setUint32(16, directoryOffset, true);
  return bytes;
}

/**
 * A ZIP Blob of the files, every one stored uncompressed.
 * @param {{name: string, bytes: Uint8Array<ArrayBuffer>}[]} files
 * @param {Date} [date]
 */
export function zipFiles(files, date = new Date()) {
  const [time, day] = dosTime(date);
  const encoder = new TextEncoder();
  /** @type {Uint8Array<ArrayBuffer>[]} */
  const parts = [];
  /** @type {Uint8Array<ArrayBuffer>[]} */
  const directory = [];
  let offset = 0;
  for (const file of files) {
    const name = encoder.encode(file.name);
    const entry = { crc: crc32(file.bytes), size: file.bytes.length, time, day, nameLength: name.length };
    const local = localHeader(name, entry);
    directory.push(centralHeader(name, entry, offset));
    parts.push(local, file.bytes);
    offset += local.length + file.bytes.length;
  }
  const directorySize = directory.reduce((sum, part) => sum + part.length, 0);
  return new Blob([...parts, ...directory, endRecord(files.length, directorySize, offset)],
    { type: "application/zip" });
}
