/**
 * What a chosen file really is, read from its bytes (not from its name or MIME type): JPEG, PNG or
 * WebP, complete or cut off, its pixel size and EXIF orientation. Only headers and the last bytes are
 * read, so this costs microseconds even for a 20 MB photo. Non-images and half-written files (a
 * download or copy that stopped) are refused here, before anything decodes them.
 */

export type PhotoType = 'image/jpeg' | 'image/png' | 'image/webp';

export interface PhotoFileInfo {
  type: PhotoType;
  /** Stored pixel size (before EXIF orientation). */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  /** Upright size as people see it (width and height swapped for orientations 5..8). */
  uprightWidth: number;
  uprightHeight: number;
}

export type PhotoFileCheck =
  | { ok: true; info: PhotoFileInfo }
  | { ok: false; code: 'NOT_AN_IMAGE' | 'TRUNCATED_IMAGE'; detail: string };

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  return sig.every((v, i) => b[at + i] === v);
}

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/** Bytes of a file from `at`, at most `length` (fewer at its end). */
type Read = (at: number, length: number) => Promise<Uint8Array>;

/** Zero padding after a file's last byte that is skipped looking for its end (a photo had 156 KB). */
export const MAX_TRAILING_ZEROS = 1024 * 1024;

/**
 * The last 4 KB of a file before its trailing zeros (up to {@link MAX_TRAILING_ZEROS} of them, read
 * back 64 KB at a time): where a JPEG's end marker or a PNG's IEND is.
 */
async function lastBytes(read: Read, size: number): Promise<Uint8Array> {
  let end = size;
  for (let at = size; at > 0 && size - at < MAX_TRAILING_ZEROS; ) {
    const from = Math.max(0, at - 65_536);
    const chunk = await read(from, at - from);
    let k = chunk.length;
    while (k > 0 && chunk[k - 1] === 0) k--;
    if (k > 0) {
      end = from + k;
      break;
    }
    at = from;
  }
  return read(Math.max(0, end - 4096), Math.min(end, 4096));
}

/**
 * Reads what it needs of a Blob and checks it: the first 32 bytes, the last 4 KB before any zero
 * padding and, for a JPEG, each segment header up to the frame header (phones write a megabyte of
 * metadata before it).
 */
export async function checkPhotoFile(file: Blob): Promise<PhotoFileCheck> {
  const read: Read = async (at, length) => new Uint8Array(await file.slice(at, at + length).arrayBuffer());
  const head = await read(0, 32);
  const tail = await lastBytes(read, file.size);
  if (startsWith(head, [0xff, 0xd8, 0xff])) return checkJpeg(read, tail, file.size);
  if (startsWith(head, PNG_SIG)) return checkPng(head, tail);
  if (startsWith(head, [0x52, 0x49, 0x46, 0x46]) && startsWith(head, [0x57, 0x45, 0x42, 0x50], 8)) {
    return checkWebp(head, file.size);
  }
  return { ok: false, code: 'NOT_AN_IMAGE', detail: 'not a JPEG, PNG or WebP file' };
}

function info(type: PhotoType, width: number, height: number, orientation = 1): PhotoFileCheck {
  if (!(width > 0 && height > 0))
    return { ok: false, code: 'NOT_AN_IMAGE', detail: 'no image size in the header' };
  const swap = orientation >= 5 && orientation <= 8;
  return {
    ok: true,
    info: {
      type,
      width,
      height,
      orientation,
      uprightWidth: swap ? height : width,
      uprightHeight: swap ? width : height,
    },
  };
}

/** JPEG segments read before giving up on the frame header (a Moto G4 photo has 23). */
export const MAX_JPEG_SEGMENTS = 256;

const EXIF = [0x45, 0x78, 0x69, 0x66, 0, 0];

/** Walks the segments from the start (each header read on its own, seeking by its length) to SOFn. */
async function checkJpeg(read: Read, tail: Uint8Array, size: number): Promise<PhotoFileCheck> {
  // A complete JPEG ends with the EOI marker (FF D9); some writers pad with zeros after it.
  let end = tail.length;
  while (end > 0 && tail[end - 1] === 0) end--;
  if (!(end >= 2 && tail[end - 2] === 0xff && tail[end - 1] === 0xd9)) {
    return { ok: false, code: 'TRUNCATED_IMAGE', detail: 'JPEG has no end marker' };
  }
  const cutOff = { ok: false, code: 'TRUNCATED_IMAGE', detail: 'JPEG ends inside its headers' } as const;
  const damaged = { ok: false, code: 'NOT_AN_IMAGE', detail: 'JPEG headers are damaged' } as const;
  let orientation = 1;
  let p = 2;
  for (let n = 0; n < MAX_JPEG_SEGMENTS; n++) {
    // FF, the marker, the length (counting itself), then the first bytes of the segment.
    const s = await read(p, 10);
    if (s.length < 4) return cutOff;
    if (s[0] !== 0xff) return damaged;
    const marker = s[1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    const len = (s[2]! << 8) | s[3]!;
    if (len < 2) return damaged;
    if (p + 2 + len > size) return cutOff;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (len < 7) return damaged;
      return info('image/jpeg', (s[7]! << 8) | s[8]!, (s[5]! << 8) | s[6]!, orientation);
    }
    if (marker === 0xda) break; // start of scan before any frame header: malformed
    if (marker === 0xe1 && startsWith(s, EXIF, 4)) {
      const exif = await read(p + 4, len - 2);
      orientation = exifOrientation(exif, EXIF.length, exif.length) ?? orientation;
    }
    p += 2 + len;
  }
  return { ok: false, code: 'NOT_AN_IMAGE', detail: 'JPEG frame header not found' };
}

/** Orientation tag (0x0112) of IFD0 in a TIFF block at `start`..`end`, or undefined. */
function exifOrientation(b: Uint8Array, start: number, end: number): number | undefined {
  if (start + 8 > end) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = b[start] === 0x49;
  const ifd = start + view.getUint32(start + 4, little);
  if (ifd + 2 > end) return undefined;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > end) return undefined;
    if (view.getUint16(e, little) === 0x0112) {
      const v = view.getUint16(e + 8, little);
      return v >= 1 && v <= 8 ? v : undefined;
    }
  }
  return undefined;
}

function checkPng(head: Uint8Array, tail: Uint8Array): PhotoFileCheck {
  if (tail.length < PNG_IEND.length || !startsWith(tail, PNG_IEND, tail.length - PNG_IEND.length)) {
    return { ok: false, code: 'TRUNCATED_IMAGE', detail: 'PNG has no IEND chunk' };
  }
  if (head.length < 24) return { ok: false, code: 'NOT_AN_IMAGE', detail: 'PNG header too short' };
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  return info('image/png', view.getUint32(16), view.getUint32(20));
}

function checkWebp(head: Uint8Array, size: number): PhotoFileCheck {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length < 30) return { ok: false, code: 'NOT_AN_IMAGE', detail: 'WebP header too short' };
  if (view.getUint32(4, true) + 8 > size) {
    return { ok: false, code: 'TRUNCATED_IMAGE', detail: 'WebP file shorter than its RIFF size' };
  }
  const chunk = String.fromCharCode(head[12]!, head[13]!, head[14]!, head[15]!);
  if (chunk === 'VP8 ')
    return info('image/webp', view.getUint16(26, true) & 0x3fff, view.getUint16(28, true) & 0x3fff);
  if (chunk === 'VP8L') {
    const bits = view.getUint32(21, true);
    return info('image/webp', (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    const w = 1 + (head[24]! | (head[25]! << 8) | (head[26]! << 16));
    const h = 1 + (head[27]! | (head[28]! << 8) | (head[29]! << 16));
    return info('image/webp', w, h);
  }
  return { ok: false, code: 'NOT_AN_IMAGE', detail: `unknown WebP chunk ${JSON.stringify(chunk)}` };
}
