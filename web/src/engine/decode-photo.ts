/**
 * The PWA's decode: photo bytes to upright RGBA pixels with `createImageBitmap` (EXIF orientation
 * applied) and a CPU canvas read. Everything after it (letterbox, tensor, boxes, NMS, rows) is the
 * shared `DetectionPipeline`, the server's code too. ICC profiles are ignored
 * (`colorSpaceConversion: 'none'`), as the server's sharp decode ignores them, so that a photo gives
 * both the same pixels and hence byte-identical model input (checked against committed checksums by
 * e2e/tests/parity.spec.ts). CMYK JPEGs are the exception: browsers and libvips convert them differently.
 */
import type { DecodedImage } from '@shelfwatch/shared';

/** JPEG files start with FF D8 FF; their canvas read is opaque, so compositing can be skipped. */
async function isJpeg(photo: Blob): Promise<boolean> {
  const head = new Uint8Array(await photo.slice(0, 3).arrayBuffer());
  return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

/** Decodes a photo once; `ms` is reported as `timingsMs.decode`. */
export async function decodePhoto(photo: Blob): Promise<{ image: DecodedImage; ms: number }> {
  const t0 = performance.now();
  const opaque = await isJpeg(photo);
  const bitmap = await createImageBitmap(photo, {
    imageOrientation: 'from-image',
    colorSpaceConversion: 'none',
  });
  try {
    const { width, height } = bitmap;
    const canvas = new OffscreenCanvas(width, height);
    // willReadFrequently keeps the canvas on the CPU: one read, no GPU round trip.
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('OffscreenCanvas 2D context is unavailable');
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, width, height);
    return { image: { data, width, height, channels: 4, opaque }, ms: performance.now() - t0 };
  } finally {
    bitmap.close();
  }
}
