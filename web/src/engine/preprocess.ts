/**
 * Photo -> model input in the worker: decode upright with `createImageBitmap` (EXIF orientation
 * applied), letterbox with the shared geometry, resample into a grey-114 padded input, and lay it out
 * as CHW float32 with the shared `pixelsToChw`. Resampling is either the shared reference (area
 * average, what the server's sharp `linear` reduce approximates; measured: same counts on the e2e
 * fixture where canvas smoothing was off by 1-3 boxes) or OffscreenCanvas smoothing.
 */
import {
  computeLetterbox,
  LETTERBOX_PAD_VALUE,
  type Letterbox,
  pixelsToChw,
  resizeLetterbox,
} from '@shelfwatch/shared';

export type ResampleMode = 'reference' | 'high' | 'medium' | 'low';

export interface PreparedInput {
  tensor: Float32Array;
  letterbox: Letterbox;
  width: number;
  height: number;
  decodeMs: number;
  preprocessMs: number;
}

/** Decodes `image` and builds the `[1, 3, inputH, inputW]` input. */
export async function prepareInput(
  image: Blob,
  inputW: number,
  inputH: number,
  out?: Float32Array,
  mode: ResampleMode = 'reference',
): Promise<PreparedInput> {
  const t0 = performance.now();
  const bitmap = await createImageBitmap(image, { imageOrientation: 'from-image' });
  const t1 = performance.now();
  try {
    const { width, height } = bitmap;
    const letterbox = computeLetterbox(width, height, inputW, inputH);
    if (mode === 'reference') {
      const full = new OffscreenCanvas(width, height);
      const fctx = full.getContext('2d', { willReadFrequently: true });
      if (!fctx) throw new Error('OffscreenCanvas 2D context is unavailable');
      fctx.drawImage(bitmap, 0, 0);
      const rgbaFull = fctx.getImageData(0, 0, width, height).data;
      const rgb = resizeLetterbox(rgbaFull, width, height, 4, letterbox);
      const tensor = pixelsToChw(rgb, inputW, inputH, 3, out);
      return { tensor, letterbox, width, height, decodeMs: t1 - t0, preprocessMs: performance.now() - t1 };
    }
    const canvas = new OffscreenCanvas(inputW, inputH);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('OffscreenCanvas 2D context is unavailable');
    const pad = LETTERBOX_PAD_VALUE;
    ctx.fillStyle = `rgb(${pad}, ${pad}, ${pad})`;
    ctx.fillRect(0, 0, inputW, inputH);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = mode;
    ctx.drawImage(
      bitmap,
      0,
      0,
      width,
      height,
      letterbox.padLeft,
      letterbox.padTop,
      letterbox.newWidth,
      letterbox.newHeight,
    );
    const rgba = ctx.getImageData(0, 0, inputW, inputH).data;
    const tensor = pixelsToChw(rgba, inputW, inputH, 4, out);
    return { tensor, letterbox, width, height, decodeMs: t1 - t0, preprocessMs: performance.now() - t1 };
  } finally {
    bitmap.close();
  }
}
