/**
 * A chosen file becomes the photo that is scanned and uploaded: refused when it is not an image or is
 * cut off, and made smaller on the device when it is over the server's limits. Downscaling decodes the
 * photo upright (EXIF orientation applied) and writes a JPEG without EXIF, so the pixels keep the
 * orientation people saw; the same bytes go to the device engine, the server engine and the audit, so
 * every count is of one image.
 */
import type { Downscaled } from '../storage/db.ts';
import { fitToPixels, maxPhotoBytes, needsDownscale, type ServerLimits } from './limits.ts';
import { checkPhotoFile, type PhotoType } from './photo-file.ts';

export interface PreparedPhoto {
  blob: Blob;
  type: PhotoType;
  /** Upright size of `blob`. */
  width: number;
  height: number;
  /** Present when the photo was made smaller to fit the server's limits. */
  downscaledFrom?: Downscaled;
}

/** A photo the device refuses, with a code of `CLIENT_MESSAGES` (api/messages.ts). */
export class PhotoRefused extends Error {
  constructor(
    readonly code: 'NOT_AN_IMAGE' | 'TRUNCATED_IMAGE' | 'DAMAGED_IMAGE' | 'DECODE_FAILED',
    detail: string,
  ) {
    super(detail);
    this.name = 'PhotoRefused';
  }
}

/** JPEG quality of downscaled photos. */
const JPEG_QUALITY = 0.9;

/**
 * Checks `file` and returns the photo to scan and send.
 * @throws {PhotoRefused} for non-images, truncated files and photos the browser cannot decode
 */
export async function preparePhoto(file: Blob, limits: ServerLimits): Promise<PreparedPhoto> {
  const check = await checkPhotoFile(file);
  if (!check.ok) throw new PhotoRefused(check.code, check.detail);
  const { info } = check;
  if (!needsDownscale(info.uprightWidth, info.uprightHeight, file.size, limits)) {
    // Re-typed from the bytes: a file named .png that is a JPEG is sent as what it is.
    const blob = file.type === info.type ? file : new Blob([file], { type: info.type });
    return { blob, type: info.type, width: info.uprightWidth, height: info.uprightHeight };
  }
  let { width, height } = fitToPixels(info.uprightWidth, info.uprightHeight, limits.maxPixels);
  const maxBytes = maxPhotoBytes(limits);
  for (let attempt = 0; attempt < 4; attempt++) {
    const blob = await encodeResized(file, width, height);
    if (blob.size <= maxBytes) {
      return {
        blob,
        type: 'image/jpeg',
        width,
        height,
        downscaledFrom: {
          originalWidth: info.uprightWidth,
          originalHeight: info.uprightHeight,
          originalBytes: file.size,
          width,
          height,
        },
      };
    }
    // JPEG size grows roughly with the pixel count.
    const f = Math.sqrt(maxBytes / blob.size) * 0.95;
    width = Math.max(1, Math.floor(width * f));
    height = Math.max(1, Math.floor(height * f));
  }
  throw new PhotoRefused('DECODE_FAILED', 'could not make the photo small enough');
}

async function encodeResized(file: Blob, width: number, height: number): Promise<Blob> {
  let bitmap: ImageBitmap;
  try {
    // The resize applies to the upright image (orientation first, then resize).
    bitmap = await createImageBitmap(file, {
      imageOrientation: 'from-image',
      resizeWidth: width,
      resizeHeight: height,
      resizeQuality: 'high',
    });
  } catch (err) {
    throw new PhotoRefused('DECODE_FAILED', err instanceof Error ? err.message : String(err));
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new PhotoRefused('DECODE_FAILED', 'no 2D canvas');
    ctx.drawImage(bitmap, 0, 0);
    return await canvas.convertToBlob({ type: 'image/jpeg', quality: JPEG_QUALITY });
  } finally {
    bitmap.close();
  }
}
