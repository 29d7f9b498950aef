import { LETTERBOX_PAD_VALUE } from './defaults.js';
import type { BoxXyxy } from './types.js';
import { assertBox, assertInteger, describe } from './validate.js';

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

/** Resampling taps along one axis: output `o` reads `count[o]` source indices from `start[o]`. */
interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  /** `weights[o * maxTaps + k]` for source index `start[o] + k`; each output's weights sum to 1. */
  weights: Float32Array;
  maxTaps: number;
}

// Downscaling averages the source interval each output pixel covers (box filter, fractional edges);
// upscaling interpolates linearly between pixel centres (half-pixel convention, like OpenCV/sharp).
function axisTaps(srcLen: number, dstLen: number): AxisTaps {
  const ratio = srcLen / dstLen;
  const maxTaps = ratio > 1 ? Math.ceil(ratio) + 1 : 2;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const weights = new Float32Array(dstLen * maxTaps);
  for (let o = 0; o < dstLen; o++) {
    if (ratio > 1) {
      const lo = o * ratio;
      const hi = Math.min(srcLen, (o + 1) * ratio);
      const first = Math.floor(lo);
      const last = Math.min(srcLen - 1, Math.ceil(hi) - 1);
      start[o] = first;
      count[o] = last - first + 1;
      for (let s = first; s <= last; s++) {
        weights[o * maxTaps + (s - first)] = (Math.min(hi, s + 1) - Math.max(lo, s)) / ratio;
      }
    } else {
      const centre = Math.min(srcLen - 1, Math.max(0, (o + 0.5) * ratio - 0.5));
      const i0 = Math.floor(centre);
      const f = centre - i0;
      start[o] = i0;
      if (i0 + 1 < srcLen && f > 0) {
        count[o] = 2;
        weights[o * maxTaps] = 1 - f;
        weights[o * maxTaps + 1] = f;
      } else {
        count[o] = 1;
        weights[o * maxTaps] = 1;
      }
    }
  }
  return { start, count, weights, maxTaps };
}

/**
 * Reference letterbox resampler: resizes RGB or RGBA pixels (alpha ignored) to
 * `newWidth x newHeight` (area average when shrinking, bilinear when enlarging) and pads with
 * `LETTERBOX_PAD_VALUE` grey. The apps normally use sharp or OffscreenCanvas; this one is for tests,
 * tools and environments without either.
 * @returns RGB bytes, `inputWidth * inputHeight * 3`, row-major
 * @throws {RangeError} when `pixels.length` is not `srcW * srcH * channels` or the sizes disagree with `lb`
 */
export function resizeLetterbox(
  pixels: Uint8Array | Uint8ClampedArray,
  srcW: number,
  srcH: number,
  channels: 3 | 4,
  lb: Letterbox,
): Uint8Array {
  if (!(pixels instanceof Uint8Array || pixels instanceof Uint8ClampedArray)) {
    throw new TypeError(`pixels must be a Uint8Array or Uint8ClampedArray, got ${describe(pixels)}`);
  }
  assertInteger('srcW', srcW, 1);
  assertInteger('srcH', srcH, 1);
  if (channels !== 3 && channels !== 4)
    throw new RangeError(`channels must be 3 or 4, got ${describe(channels)}`);
  if (pixels.length !== srcW * srcH * channels) {
    throw new RangeError(
      `pixels.length must be ${srcW}*${srcH}*${channels} = ${srcW * srcH * channels}, got ${pixels.length}`,
    );
  }
  if (lb.srcWidth !== srcW || lb.srcHeight !== srcH) {
    throw new RangeError(`letterbox is for ${lb.srcWidth}x${lb.srcHeight}, got pixels of ${srcW}x${srcH}`);
  }
  const { inputWidth: inW, inputHeight: inH, newWidth: nw, newHeight: nh, padLeft, padTop } = lb;
  const out = new Uint8Array(inW * inH * 3).fill(LETTERBOX_PAD_VALUE);
  const tx = axisTaps(srcW, nw);
  const ty = axisTaps(srcH, nh);

  // Horizontal pass: srcH rows x nw columns x RGB, kept in float to avoid double rounding.
  const tmp = new Float32Array(srcH * nw * 3);
  for (let y = 0; y < srcH; y++) {
    const rowIn = y * srcW * channels;
    const rowOut = y * nw * 3;
    for (let x = 0; x < nw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const s0 = tx.start[x]!;
      const n = tx.count[x]!;
      const wBase = x * tx.maxTaps;
      for (let k = 0; k < n; k++) {
        const w = tx.weights[wBase + k]!;
        const p = rowIn + (s0 + k) * channels;
        r += pixels[p]! * w;
        g += pixels[p + 1]! * w;
        b += pixels[p + 2]! * w;
      }
      const q = rowOut + x * 3;
      tmp[q] = r;
      tmp[q + 1] = g;
      tmp[q + 2] = b;
    }
  }

  // Vertical pass straight into the padded output.
  const rowLen = nw * 3;
  const acc = new Float32Array(rowLen);
  for (let y = 0; y < nh; y++) {
    acc.fill(0);
    const s0 = ty.start[y]!;
    const n = ty.count[y]!;
    for (let k = 0; k < n; k++) {
      const w = ty.weights[y * ty.maxTaps + k]!;
      const base = (s0 + k) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] = acc[i]! + tmp[base + i]! * w;
    }
    const outBase = ((y + padTop) * inW + padLeft) * 3;
    for (let i = 0; i < rowLen; i++) {
      const v = Math.round(acc[i]!);
      out[outBase + i] = Math.min(255, Math.max(0, v));
    }
  }
  return out;
}
