import { computeLetterbox, LETTERBOX_PAD_VALUE, type Letterbox, resizeLetterbox } from '@shelfwatch/shared';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ApiError } from '../errors.js';
import { checkDimensions, inspectImage } from './image-checks.js';

/** Formats the API accepts (DESIGN.md): anything else sharp could read (GIF, TIFF, SVG, HEIF...) is 415. */
export const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp']);

/** An image decoded upright, resized and padded to the model input. */
export interface LetterboxedImage {
  /** Upright (EXIF-applied) source size in pixels. */
  width: number;
  height: number;
  letterbox: Letterbox;
  /** RGB bytes, `inputWidth * inputHeight * 3`. */
  rgb: Buffer;
}

export interface DecodeOptions {
  inputWidth: number;
  inputHeight: number;
  /** Largest accepted `width * height` of the source. */
  maxPixels: number;
  /** Largest accepted long side / short side. @default 20 */
  maxAspectRatio?: number;
  /** Deadline of the libvips decode in whole seconds (sharp `timeout`); 0 = none. @default 0 */
  timeoutSeconds?: number;
}

/** The default of MAX_ASPECT_RATIO (src/config.ts). */
export const DEFAULT_MAX_ASPECT_RATIO = 20;

const PAD = { r: LETTERBOX_PAD_VALUE, g: LETTERBOX_PAD_VALUE, b: LETTERBOX_PAD_VALUE };

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
 * Decodes an image upright (EXIF orientation applied), flattens alpha onto the pad grey, converts to
 * 8-bit sRGB (CMYK, greyscale, 16-bit and palette inputs included), then letterboxes it to the model
 * input with the shared core's resampler (the one the PWA uses).
 * Only the first frame of an animated WebP is used. sharp runs on libuv's pool, off the JS thread.
 * @throws {ApiError} for any input the client got wrong; never a 5xx for bad bytes
 */
export async function decodeLetterboxed(
  bytes: Uint8Array,
  options: DecodeOptions,
): Promise<LetterboxedImage> {
  const { width, height } = await probeImage(bytes, options.maxPixels, options.maxAspectRatio);
  const letterbox = computeLetterbox(width, height, options.inputWidth, options.inputHeight);
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(bytes, {
      limitInputPixels: options.maxPixels,
      failOn: 'truncated',
      pages: 1,
    })
      .timeout({ seconds: options.timeoutSeconds ?? 0 })
      .rotate()
      .flatten({ background: PAD })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (err) {
    throw decodeError(err, options);
  }
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(
      `decode produced ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`,
    );
  }
  // Resampling in the shared core, not in libvips: the PWA uses the same function, so the same photo
  // gives the same tensor, and so the same boxes, on the phone and on the server.
  const rgb = Buffer.from(resizeLetterbox(data, width, height, 3, letterbox).buffer);
  return { width, height, letterbox, rgb };
}
