/**
 * The small grey copy of a photo that the quality checks run on, drawn from the photo already
 * decoded (an upright ImageBitmap, decoded off the main thread): the check is a resample to
 * SAMPLE_SIDE and a few passes over ~300k pixels, not another decode (see web/README.md).
 */
import { type GrayImage, rgbaToGray, SAMPLE_SIDE } from './image-quality.ts';

export function graySample(source: CanvasImageSource, width: number, height: number): GrayImage {
  const scale = Math.min(1, SAMPLE_SIDE / Math.max(width, height));
  const w = Math.max(3, Math.round(width * scale));
  const h = Math.max(3, Math.round(height * scale));
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas');
  ctx.imageSmoothingQuality = 'medium';
  ctx.drawImage(source, 0, 0, w, h);
  return rgbaToGray(ctx.getImageData(0, 0, w, h).data, w, h);
}
