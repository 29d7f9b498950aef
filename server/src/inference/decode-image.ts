import type { DecodedImage } from '@shelfwatch/shared';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ApiError } from '../errors.js';
import { checkDimensions, inspectImage } from './image-checks.js';

/** Formats the API accepts (docs/API.md): anything else sharp could read (GIF, TIFF, SVG, HEIF...) is 415. */
export const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp']);

export interface DecodeOptions {
  /** Largest accepted `width * height` of the source. */
  maxPixels: number;
  /** Largest accepted long side / short side. @default 20 */
  maxAspectRatio?: number;
  /** Deadline of the libvips decode in whole seconds (sharp `timeout`); 0 = none. @default 0 */
  timeoutSeconds?: number;
}

/** The default of MAX_ASPECT_RATIO (src/config.ts). */
export const DEFAULT_MAX_ASPECT_RATIO = 20;

/**
 * Reads only the header: format and upright size. The raw bytes are checked first (magic bytes,
 * declared size, EXIF structure: `inspectImage`), so libvips never parses a GIF/TIFF/SVG or a
 * looping EXIF; then sharp's header read. Rejects decompression bombs before a pixel is decoded.
 * @throws {ApiError} UNDECODABLE_IMAGE, UNSUPPORTED_MEDIA_TYPE, IMAGE_TOO_MANY_PIXELS or IMAGE_TOO_COMPLEX
 */
export async function probeImage(
  bytes: Uint8Array,
  maxPixels: number,
  maxAspectRatio = DEFAULT_MAX_ASPECT_RATIO,
): Promise<{ format: string; width: number; height: number }> {
  const limits = { maxPixels, maxAspectRatio };
  inspectImage(bytes, limits);
  let meta: Metadata;
  try {
    // limitInputPixels off here: the header read must succeed so that we can answer 413, not 422.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new ApiError('UNDECODABLE_IMAGE', 'The body is not a readable JPEG, PNG or WebP image.', {
      cause: err,
    });
  }
  if (!meta.format || !SUPPORTED_FORMATS.has(meta.format)) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Image format ${meta.format ?? 'unknown'} is not supported; send JPEG, PNG or WebP.`,
    );
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  checkDimensions(width, height, limits);
  return { format: meta.format, width, height };
}

/** Maps a libvips failure to the client's error: the deadline, the pixel limit, or bad bytes. */
function decodeError(err: unknown, options: DecodeOptions): ApiError {
  const message = err instanceof Error ? err.message : String(err);
  if (/^timeout/i.test(message)) {
    return new ApiError(
      'IMAGE_TOO_COMPLEX',
      `The image did not decode within ${options.timeoutSeconds} s; send a smaller or simpler image.`,
      { cause: err },
    );
  }
  if (/pixel limit/i.test(message)) {
    return new ApiError('IMAGE_TOO_MANY_PIXELS', `The image has more than ${options.maxPixels} pixels.`, {
      cause: err,
    });
  }
  return new ApiError('UNDECODABLE_IMAGE', 'The image is corrupt or truncated.', { cause: err });
}

/**
 * Decodes an image upright (EXIF orientation applied) to 8-bit sRGB pixels, once: RGB, or RGBA with
 * straight alpha when the image has an alpha channel (the shared pipeline composites it over the
 * letterbox grey, as the PWA does). CMYK, greyscale, 16-bit and palette inputs are converted.
 * Embedded ICC profiles are ignored, as the PWA's `createImageBitmap(..., {colorSpaceConversion:
 * 'none'})` ignores them, so that both hand the shared pipeline the same bytes. Only the first frame
 * of an animated WebP is used. sharp runs on libuv's pool, off the JS thread; the pixels are not copied.
 * @throws {ApiError} for any input the client got wrong; never a 5xx for bad bytes
 */
export async function decodeUpright(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  const { width, height } = await probeImage(bytes, options.maxPixels, options.maxAspectRatio);
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(bytes, {
      limitInputPixels: options.maxPixels,
      failOn: 'truncated',
      pages: 1,
      ignoreIcc: true,
    })
      .timeout({ seconds: options.timeoutSeconds ?? 0 })
      .rotate()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw decodeError(err, options);
  }
  const channels = info.channels;
  if ((channels !== 3 && channels !== 4) || info.width !== width || info.height !== height) {
    throw new Error(
      `decode produced ${info.width}x${info.height}x${channels}, expected ${width}x${height}x3 or x4`,
    );
  }
  return { data, width, height, channels };
}
