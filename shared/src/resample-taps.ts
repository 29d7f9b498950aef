import { assertInteger } from './validate.js';

/** Fixed-point unit of the resampling weights: each output's weights are integers summing to this. */
export const RESAMPLE_ONE = 256;

/** Resampling taps along one axis: output `o` reads `count[o]` source indices from `start[o]`. */
export interface AxisTaps {
  start: Int32Array;
  count: Int32Array;
  /** `weights[o * maxTaps + k]` for source index `start[o] + k`, integers summing to `RESAMPLE_ONE`. */
  weights: Int32Array;
  /** Most taps of any output (the stride of `weights`). */
  maxTaps: number;
}

/**
 * Integer resampling weights for one axis, computed once per (source, target) length.
 * Shrinking averages the source interval `[o * r, (o + 1) * r)` that output `o` covers (a box filter
 * with fractional edges, r = srcLen / dstLen); enlarging interpolates linearly between pixel centres
 * (half-pixel convention, as OpenCV and libvips). Weights are quantised to 1/256 by cumulative
 * rounding, so each output's sum is exactly `RESAMPLE_ONE` and integer maths stays exact in 16 bits.
 * @throws {RangeError} when a length is not a positive integer
 */
export function axisTaps(srcLen: number, dstLen: number): AxisTaps {
  assertInteger('srcLen', srcLen, 1);
  assertInteger('dstLen', dstLen, 1);
  const ratio = srcLen / dstLen;
  const maxTaps = ratio > 1 ? Math.ceil(ratio) + 1 : 2;
  const start = new Int32Array(dstLen);
  const count = new Int32Array(dstLen);
  const weights = new Int32Array(dstLen * maxTaps);
  for (let o = 0; o < dstLen; o++) {
    const base = o * maxTaps;
    if (ratio > 1) {
      const lo = o * ratio;
      const hi = Math.min(srcLen, (o + 1) * ratio);
      const first = Math.floor(lo);
      const last = Math.min(srcLen - 1, Math.ceil(hi) - 1);
      start[o] = first;
      count[o] = last - first + 1;
      let covered = 0;
      let given = 0;
      for (let s = first; s <= last; s++) {
        covered += Math.min(hi, s + 1) - Math.max(lo, s);
        const upTo = s === last ? RESAMPLE_ONE : Math.round((covered / (hi - lo)) * RESAMPLE_ONE);
        weights[base + s - first] = upTo - given;
        given = upTo;
      }
    } else {
      const centre = Math.min(srcLen - 1, Math.max(0, (o + 0.5) * ratio - 0.5));
      const i0 = Math.floor(centre);
      const f = Math.round((centre - i0) * RESAMPLE_ONE);
      if (f === 0 || i0 + 1 >= srcLen || f === RESAMPLE_ONE) {
        start[o] = f === RESAMPLE_ONE ? i0 + 1 : i0;
        count[o] = 1;
        weights[base] = RESAMPLE_ONE;
      } else {
        start[o] = i0;
        count[o] = 2;
        weights[base] = RESAMPLE_ONE - f;
        weights[base + 1] = f;
      }
    }
  }
  return { start, count, weights, maxTaps };
}
