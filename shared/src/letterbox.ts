import type { BoxXyxy } from './types.js';
import { assertBox, assertInteger } from './validate.js';

/**
 * Geometry of fitting a `srcWidth x srcHeight` image into a `inputWidth x inputHeight` model input:
 * scale uniformly to fit, then pad evenly (Ultralytics `LetterBox` with `auto=False`, centred).
 */
export interface Letterbox {
  /** Uniform scale `min(inputWidth / srcWidth, inputHeight / srcHeight)`. */
  scale: number;
  /** Width of the resized image inside the input, `round(srcWidth * scale)`, at least 1. */
  newWidth: number;
  /** Height of the resized image inside the input, `round(srcHeight * scale)`, at least 1. */
  newHeight: number;
  /** Padding columns on the left, `floor((inputWidth - newWidth) / 2)`. */
  padLeft: number;
  /** Padding rows on top, `floor((inputHeight - newHeight) / 2)`. */
  padTop: number;
  /** Padding columns on the right (the remainder). */
  padRight: number;
  /** Padding rows at the bottom (the remainder). */
  padBottom: number;
  inputWidth: number;
  inputHeight: number;
  srcWidth: number;
  srcHeight: number;
}

/**
 * Computes the letterbox that fits a source image into the model input.
 * @param srcW source width in pixels (integer >= 1)
 * @param srcH source height in pixels (integer >= 1)
 * @param inputW model input width in pixels (integer >= 1)
 * @param inputH model input height in pixels (integer >= 1), defaults to `inputW`
 * @throws {RangeError} when a size is not a positive integer
 */
export function computeLetterbox(
  srcW: number,
  srcH: number,
  inputW: number,
  inputH: number = inputW,
): Letterbox {
  assertInteger('srcW', srcW, 1);
  assertInteger('srcH', srcH, 1);
  assertInteger('inputW', inputW, 1);
  assertInteger('inputH', inputH, 1);
  const scale = Math.min(inputW / srcW, inputH / srcH);
  const newWidth = Math.min(inputW, Math.max(1, Math.round(srcW * scale)));
  const newHeight = Math.min(inputH, Math.max(1, Math.round(srcH * scale)));
  const padLeft = Math.floor((inputW - newWidth) / 2);
  const padTop = Math.floor((inputH - newHeight) / 2);
  return {
    scale,
    newWidth,
    newHeight,
    padLeft,
    padTop,
    padRight: inputW - newWidth - padLeft,
    padBottom: inputH - newHeight - padTop,
    inputWidth: inputW,
    inputHeight: inputH,
    srcWidth: srcW,
    srcHeight: srcH,
  };
}

/**
 * Per-axis factors from source pixels to letterbox pixels. The image really is resized to
 * `newWidth x newHeight`, so `newWidth / srcWidth` is exact where `scale` is off by the rounding.
 * @internal
 */
export function letterboxFactors(lb: Letterbox): { sx: number; sy: number } {
  return { sx: lb.newWidth / lb.srcWidth, sy: lb.newHeight / lb.srcHeight };
}

/**
 * Maps a box from model-input (letterbox) pixels back to source pixels, clipped to the image.
 * @throws {TypeError|RangeError} when the box is not four finite numbers
 */
export function letterboxToSource(box: Readonly<BoxXyxy>, lb: Letterbox): BoxXyxy {
  assertBox('box', box);
  const { sx, sy } = letterboxFactors(lb);
  const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  return [
    clip((box[0] - lb.padLeft) / sx, lb.srcWidth),
    clip((box[1] - lb.padTop) / sy, lb.srcHeight),
    clip((box[2] - lb.padLeft) / sx, lb.srcWidth),
    clip((box[3] - lb.padTop) / sy, lb.srcHeight),
  ];
}

/**
 * Maps a box from source pixels to model-input (letterbox) pixels (not clipped).
 * @throws {TypeError|RangeError} when the box is not four finite numbers
 */
export function sourceToLetterbox(box: Readonly<BoxXyxy>, lb: Letterbox): BoxXyxy {
  assertBox('box', box);
  const { sx, sy } = letterboxFactors(lb);
  return [
    box[0] * sx + lb.padLeft,
    box[1] * sy + lb.padTop,
    box[2] * sx + lb.padLeft,
    box[3] * sy + lb.padTop,
  ];
}
