import type { Letterbox } from './letterbox.js';
import { letterboxFactors } from './letterbox.js';
import { assertInRange, describe } from './validate.js';

/** Decoded candidate boxes before NMS, as parallel typed arrays of length `count` (boxes: `4 * count`). */
export interface Candidates {
  /** `[x1, y1, x2, y2]` per candidate, in source-image pixels, clipped to the image. */
  boxes: Float32Array;
  /** Best class score per candidate, in 0..1. */
  scores: Float32Array;
  /** Index of the best class per candidate. */
  classIds: Int32Array;
  count: number;
}

/** Options of {@link decodeYolo}. */
export interface DecodeOptions {
  /** Keep candidates whose best class score is `>=` this, in 0..1. */
  confThreshold: number;
  /** The letterbox the input was built with; boxes are mapped back through it. */
  letterbox: Letterbox;
}

/**
 * Checks `dims` against the Ultralytics YOLOv8 export layout `[1, 4 + nc, N]` (or `[4 + nc, N]`).
 * @returns channels `4 + nc` and candidate count `N`
 * @throws {RangeError} when the shape or the data length is wrong
 */
export function yoloShape(
  output: ArrayLike<number>,
  dims: readonly number[],
): { channels: number; n: number } {
  if (!Array.isArray(dims) && !ArrayBuffer.isView(dims)) {
    throw new TypeError(`dims must be an array, got ${describe(dims)}`);
  }
  const d = Array.from(dims as ArrayLike<number>, Number);
  if (d.length === 3 && d[0] !== 1) throw new RangeError(`dims[0] (batch) must be 1, got ${d[0]}`);
  if (d.length !== 2 && d.length !== 3) {
    throw new RangeError(`dims must be [1, 4 + nc, N] or [4 + nc, N], got [${d.join(', ')}]`);
  }
  const channels = d[d.length - 2]!;
  const n = d[d.length - 1]!;
  if (!Number.isInteger(channels) || channels < 5) {
    throw new RangeError(`dims must be [1, 4 + nc, N] with nc >= 1, got [${d.join(', ')}]`);
  }
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`dims N must be an integer >= 0, got [${d.join(', ')}]`);
  if (output.length !== channels * n) {
    throw new RangeError(
      `output.length must be ${channels}*${n} = ${channels * n} for dims [${d.join(', ')}], got ${output.length}`,
    );
  }
  return { channels, n };
}

/**
 * Decodes a YOLOv8 detect-head output `[1, 4 + nc, N]`, channel-major (`output[c * N + i]`):
 * rows 0..3 are cx, cy, w, h in model-input pixels, rows 4.. the per-class scores (already sigmoid).
 * A candidate's score is its best class score; candidates below `confThreshold`, with non-finite
 * coordinates, or with no area left after mapping to the source image and clipping are dropped.
 * @throws {TypeError|RangeError} on a wrong shape, data length or threshold
 */
export function decodeYolo(
  output: Float32Array | Float64Array,
  dims: readonly number[],
  options: DecodeOptions,
): Candidates {
  if (!(output instanceof Float32Array || output instanceof Float64Array)) {
    throw new TypeError(`output must be a Float32Array, got ${describe(output)}`);
  }
  const { confThreshold, letterbox: lb } = options;
  assertInRange('confThreshold', confThreshold, 0, 1);
  if (lb === null || typeof lb !== 'object')
    throw new TypeError(`letterbox must be a Letterbox, got ${describe(lb)}`);
  const { channels, n } = yoloShape(output, dims);
  const nc = channels - 4;

  // Best class per candidate, walking the class planes in memory order (cache-friendly for nc > 1).
  let best: Float32Array | Float64Array = output.subarray(4 * n, 5 * n);
  let bestClass: Int32Array | null = null;
  if (nc > 1) {
    best = Float32Array.from(best);
    bestClass = new Int32Array(n);
    for (let c = 1; c < nc; c++) {
      const base = (4 + c) * n;
      for (let i = 0; i < n; i++) {
        const v = output[base + i]!;
        if (v > best[i]!) {
          best[i] = v;
          bestClass[i] = c;
        }
      }
    }
  }

  const { sx, sy } = letterboxFactors(lb);
  const { padLeft, padTop, srcWidth: W, srcHeight: H } = lb;
  let kept = 0;
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) if (best[i]! >= confThreshold) idx[kept++] = i; // NaN fails >=

  const boxes = new Float32Array(kept * 4);
  const scores = new Float32Array(kept);
  const classIds = new Int32Array(kept);
  let count = 0;
  for (let k = 0; k < kept; k++) {
    const i = idx[k]!;
    const cx = output[i]!;
    const cy = output[n + i]!;
    const hw = output[2 * n + i]! / 2;
    const hh = output[3 * n + i]! / 2;
    let x1 = (cx - hw - padLeft) / sx;
    let y1 = (cy - hh - padTop) / sy;
    let x2 = (cx + hw - padLeft) / sx;
    let y2 = (cy + hh - padTop) / sy;
    x1 = Math.min(W, Math.max(0, x1));
    y1 = Math.min(H, Math.max(0, y1));
    x2 = Math.min(W, Math.max(0, x2));
    y2 = Math.min(H, Math.max(0, y2));
    if (!(x2 > x1 && y2 > y1)) continue; // degenerate, outside the image, or NaN
    const o = count * 4;
    boxes[o] = x1;
    boxes[o + 1] = y1;
    boxes[o + 2] = x2;
    boxes[o + 3] = y2;
    scores[count] = best[i]!;
    classIds[count] = bestClass === null ? 0 : bestClass[i]!;
    count++;
  }
  return count === kept
    ? { boxes, scores, classIds, count }
    : {
        boxes: boxes.slice(0, count * 4),
        scores: scores.slice(0, count),
        classIds: classIds.slice(0, count),
        count,
      };
}
