import { ApiError } from '../errors.js';

/**
 * Checks that run on the raw upload before libvips sees a byte of it: which container it is
 * (magic bytes), the size it declares, and whether its metadata is sane. Pure functions over the
 * bytes, O(size) and allocation-free, so the route layer runs them on the event loop before
 * queueing and the decode step runs them again in the worker. They refuse only on positive
 * evidence; whatever the walk cannot read is left to libvips (which then fails or decodes).
 */

export type ImageFormat = 'jpeg' | 'png' | 'webp';

/** The limits of one image (config: MAX_PIXELS, MAX_ASPECT_RATIO). */
export interface ImageLimits {
  /** Largest `width * height`. */
  maxPixels: number;
  /** Largest long side / short side. */
  maxAspectRatio: number;
}

/**
 * Metadata limits. libexif walks EXIF IFDs recursively with no memory of where it has been, so a
 * 60 KB EXIF whose IFDs point at themselves costs seconds of header parsing (measured: 5,000
 * self-pointers, 4 s in `metadata()`, 8 s in the decode); real camera EXIF has 4-6 IFDs and well
 * under 300 entries. ICC profiles are kilobytes (display) to ~2 MB (print CMYK); lcms parses them
 * during colour conversion.
 */
export const METADATA_LIMITS = {
  maxExifIfds: 16,
  maxExifEntries: 1_000,
  maxIccBytes: 4 * 1024 * 1024,
} as const;

/** What the container declares, read without decoding. */
export interface ImageHeader {
  format: ImageFormat;
  /** Stored size (before EXIF rotation); null where the walk found none (libvips decides). */
  width: number | null;
  height: number | null;
  /** TIFF-structured EXIF blobs (an `Exif\0\0` prefix removed). */
  exif: Uint8Array[];
  /** Bytes of embedded ICC profile data. */
  iccBytes: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(b: Uint8Array, prefix: readonly number[] | string, at = 0): boolean {
  const p = typeof prefix === 'string' ? [...prefix].map((c) => c.charCodeAt(0)) : prefix;
  if (b.length < at + p.length) return false;
  for (let i = 0; i < p.length; i++) if (b[at + i] !== p[i]) return false;
  return true;
}

const u16be = (b: Uint8Array, p: number) => (b[p]! << 8) | b[p + 1]!;
const u32be = (b: Uint8Array, p: number) =>
  ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
const u16le = (b: Uint8Array, p: number) => b[p]! | (b[p + 1]! << 8);
const u24le = (b: Uint8Array, p: number) => b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
const u32le = (b: Uint8Array, p: number) =>
  (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
const fourcc = (b: Uint8Array, p: number) => String.fromCharCode(b[p]!, b[p + 1]!, b[p + 2]!, b[p + 3]!);

/**
 * The format from the magic bytes: JPEG `FF D8 FF`, the PNG signature, or RIFF....WEBP.
 * Anything else (GIF, TIFF, SVG, HEIF, text) is null and never reaches libvips.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'webp';
  return null;
}

/** SOF0-3, 5-7, 9-11, 13-15: the frame headers that carry the image size. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function walkJpeg(b: Uint8Array, h: ImageHeader): void {
  let p = 2;
  while (p + 4 <= b.length && b[p] === 0xff) {
    const marker = b[p + 1]!;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      p += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return; // EOI, or SOS: entropy-coded data follows
    const length = u16be(b, p + 2);
    if (length < 2 || p + 2 + length > b.length) return;
    const segment = b.subarray(p + 4, p + 2 + length);
    if (isStartOfFrame(marker) && segment.length >= 5) {
      h.height = u16be(segment, 1) || null; // 0 = defined later by a DNL marker
      h.width = u16be(segment, 3);
    } else if (marker === 0xe1 && startsWith(segment, 'Exif\0\0')) {
      h.exif.push(segment.subarray(6));
    } else if (marker === 0xe2 && startsWith(segment, 'ICC_PROFILE\0')) {
      h.iccBytes += segment.length - 14;
    }
    p += 2 + length;
  }
}

function walkPng(b: Uint8Array, h: ImageHeader): void {
  let p = 8;
  while (p + 12 <= b.length) {
    const length = u32be(b, p);
    const type = fourcc(b, p + 4);
    if (p + 12 + length > b.length) return;
    const data = b.subarray(p + 8, p + 8 + length);
    if (type === 'IHDR' && length >= 8) {
      h.width = u32be(data, 0);
      h.height = u32be(data, 4);
    } else if (type === 'eXIf') {
      h.exif.push(startsWith(data, 'Exif\0\0') ? data.subarray(6) : data);
    } else if (type === 'iCCP') {
      h.iccBytes += length;
    } else if (type === 'IEND') return;
    p += 12 + length;
  }
}

function walkWebp(b: Uint8Array, h: ImageHeader): void {
  let p = 12;
  while (p + 8 <= b.length) {
    const type = fourcc(b, p);
    const size = u32le(b, p + 4);
    const data = b.subarray(p + 8, Math.min(b.length, p + 8 + size));
    if (type === 'VP8X' && data.length >= 10) {
      h.width = 1 + u24le(data, 4);
      h.height = 1 + u24le(data, 7);
    } else if (
      type === 'VP8 ' &&
      h.width === null &&
      data.length >= 10 &&
      startsWith(data, [0x9d, 0x01, 0x2a], 3)
    ) {
      h.width = u16le(data, 6) & 0x3fff;
      h.height = u16le(data, 8) & 0x3fff;
    } else if (type === 'VP8L' && h.width === null && data.length >= 5 && data[0] === 0x2f) {
      const bits = u32le(data, 1);
      h.width = (bits & 0x3fff) + 1;
      h.height = ((bits >>> 14) & 0x3fff) + 1;
    } else if (type === 'EXIF') {
      h.exif.push(startsWith(data, 'Exif\0\0') ? data.subarray(6) : data);
    } else if (type === 'ICCP') {
      h.iccBytes += size;
    }
    p += 8 + size + (size & 1); // chunks are padded to an even size
  }
}

/**
 * Reads the container's declared size and metadata without decoding.
 * @throws {ApiError} UNSUPPORTED_MEDIA_TYPE when the magic bytes are not JPEG, PNG or WebP
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (!format) {
    const head = [...bytes.subarray(0, 4)].map((x) => x.toString(16).padStart(2, '0')).join(' ');
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `The image is not a JPEG, PNG or WebP file (it starts with ${head || 'nothing'}).`,
    );
  }
  const header: ImageHeader = { format, width: null, height: null, exif: [], iccBytes: 0 };
  if (format === 'jpeg') walkJpeg(bytes, header);
  else if (format === 'png') walkPng(bytes, header);
  else walkWebp(bytes, header);
  return header;
}

/**
 * Refuses sizes that no shelf photo has: more than `maxPixels` (413) or a long side more than
 * `maxAspectRatio` times the short one (422; a 5 x 10,000,000 PNG took 7 s to decode).
 * @throws {ApiError} UNDECODABLE_IMAGE, IMAGE_TOO_MANY_PIXELS or IMAGE_TOO_COMPLEX
 */
export function checkDimensions(width: number, height: number, limits: ImageLimits): void {
  if (!(width > 0 && height > 0)) throw new ApiError('UNDECODABLE_IMAGE', 'The image declares no size.');
  if (width * height > limits.maxPixels) {
    throw new ApiError(
      'IMAGE_TOO_MANY_PIXELS',
      `The image has ${width}x${height} pixels; at most ${limits.maxPixels} pixels are accepted.`,
    );
  }
  if (Math.max(width, height) / Math.min(width, height) > limits.maxAspectRatio) {
    throw new ApiError(
      'IMAGE_TOO_COMPLEX',
      `The image is ${width}x${height}; its sides may differ by at most ${limits.maxAspectRatio}x.`,
    );
  }
}

/** EXIF tags whose value is the offset of another IFD (Exif, GPS, Interoperability). */
const IFD_POINTER_TAGS = new Set([0x8769, 0x8825, 0xa005]);

/**
 * Walks an EXIF (TIFF) structure as libexif would and refuses IFDs that are visited twice (a loop),
 * or more IFDs or entries than {@link METADATA_LIMITS} allow. Linear in the blob's size.
 * @throws {ApiError} IMAGE_TOO_COMPLEX
 */
export function checkExif(tiff: Uint8Array): void {
  if (tiff.length < 8) return;
  const little = startsWith(tiff, 'II');
  if (!little && !startsWith(tiff, 'MM')) return; // not TIFF: libexif ignores it
  const u16 = little ? u16le : u16be;
  const u32 = little ? u32le : u32be;
  const refuse = (why: string) => {
    throw new ApiError('IMAGE_TOO_COMPLEX', `The image's EXIF metadata is malformed: ${why}.`);
  };
  const ifd0 = u32(tiff, 4);
  const pending = [ifd0];
  const visited = new Set<number>();
  let entries = 0;
  while (pending.length > 0) {
    const offset = pending.pop()!;
    if (offset === 0 || offset + 2 > tiff.length) continue;
    if (visited.has(offset)) refuse(`IFD at offset ${offset} is referenced twice (a loop)`);
    visited.add(offset);
    if (visited.size > METADATA_LIMITS.maxExifIfds) refuse(`more than ${METADATA_LIMITS.maxExifIfds} IFDs`);
    const count = u16(tiff, offset);
    entries += count;
    if (entries > METADATA_LIMITS.maxExifEntries)
      refuse(`more than ${METADATA_LIMITS.maxExifEntries} entries`);
    for (let i = 0; i < count; i++) {
      const e = offset + 2 + i * 12;
      if (e + 12 > tiff.length) break;
      if (IFD_POINTER_TAGS.has(u16(tiff, e))) pending.push(u32(tiff, e + 8));
    }
    // libexif follows the chain only from IFD0 (to IFD1, the thumbnail's); sub-IFDs' links are ignored.
    const next = offset + 2 + count * 12;
    if (offset === ifd0 && next + 4 <= tiff.length) pending.push(u32(tiff, next));
  }
}

/**
 * All the checks on the raw bytes: format by magic bytes, declared size, EXIF structure, ICC size.
 * @throws {ApiError} UNSUPPORTED_MEDIA_TYPE, IMAGE_TOO_MANY_PIXELS, IMAGE_TOO_COMPLEX or UNDECODABLE_IMAGE
 */
export function inspectImage(bytes: Uint8Array, limits: ImageLimits): ImageHeader {
  const header = readImageHeader(bytes);
  if (header.width !== null && header.height !== null) checkDimensions(header.width, header.height, limits);
  if (header.iccBytes > METADATA_LIMITS.maxIccBytes) {
    throw new ApiError(
      'IMAGE_TOO_COMPLEX',
      `The image's ICC profile is ${header.iccBytes} bytes; at most ${METADATA_LIMITS.maxIccBytes} are accepted.`,
    );
  }
  for (const exif of header.exif) checkExif(exif);
  return header;
}
