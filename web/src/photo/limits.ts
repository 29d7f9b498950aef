import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PIXELS } from '@shelfwatch/shared';
/**
 * The server's upload limits and how far a photo must shrink to fit them. The limits come from
 * `GET /me` (`limits: { maxPixels, maxBodyBytes }`); until the server has answered once, the server's
 * documented defaults apply.
 */

export interface ServerLimits {
  /** Largest accepted image in decoded pixels (width x height). */
  maxPixels: number;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
}

/** The server's defaults (`MAX_PIXELS`, `MAX_BODY_BYTES` in server/src/config.ts). */
export const DEFAULT_LIMITS: ServerLimits = {
  maxPixels: DEFAULT_MAX_PIXELS,
  maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
};

/** Room left in the body for the multipart framing and the text fields (store, aisle, note). */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** Largest photo file that fits in one upload. */
export function maxPhotoBytes(limits: ServerLimits): number {
  return Math.max(1024, limits.maxBodyBytes - MULTIPART_OVERHEAD_BYTES);
}

/** Whether a photo of this upright size and file size must be made smaller before it is sent. */
export function needsDownscale(width: number, height: number, bytes: number, limits: ServerLimits): boolean {
  return width * height > limits.maxPixels || bytes > maxPhotoBytes(limits);
}

/**
 * The largest size with the same aspect ratio whose pixel count is within `maxPixels`.
 * @throws {RangeError} when a size or the limit is not a positive number
 */
export function fitToPixels(
  width: number,
  height: number,
  maxPixels: number,
): { width: number; height: number } {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
    ['maxPixels', maxPixels],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`);
  }
  if (width * height <= maxPixels) return { width, height };
  const scale = Math.sqrt(maxPixels / (width * height));
  let w = Math.max(1, Math.floor(width * scale));
  let h = Math.max(1, Math.floor(height * scale));
  // Floating point can leave the product a pixel row over the limit.
  while (w * h > maxPixels) {
    if (w >= h) w--;
    else h--;
  }
  return { width: w, height: h };
}
