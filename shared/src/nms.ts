import { assertBox, assertInRange, assertInteger, describe } from './validate.js';

/** Options of {@link nms}. */
export interface NmsOptions {
  /** Suppress a box whose IoU with an already kept box of the same class is `>` this, in 0..1. */
  iouThreshold: number;
  /** Stop after keeping this many boxes (integer >= 0). */
  maxDetections: number;
}

/**
 * Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when the union has no area.
 * Boxes with `x2 < x1` or `y2 < y1` count as empty.
 */
export function iouXyxy(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertBox('a', a);
  assertBox('b', b);
  return iouRaw(a[0]!, a[1]!, a[2]!, a[3]!, b[0]!, b[1]!, b[2]!, b[3]!);
}

/** Unchecked IoU of two boxes given by coordinates (hot path). @internal */
export function iouRaw(
  ax1: number,
  ay1: number,
  ax2: number,
  ay2: number,
  bx1: number,
  by1: number,
  bx2: number,
  by2: number,
): number {
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union =
    Math.max(0, ax2 - ax1) * Math.max(0, ay2 - ay1) + Math.max(0, bx2 - bx1) * Math.max(0, by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

const INDEX_BITS = 2 ** 21;

/**
 * Candidate indices by score, highest first, ties by lower index. For non-negative float32 scores the
 * IEEE bits order like the values, so `bits * 2^21 + (2^21 - 1 - index)` is an exact float64 key and
 * a native numeric sort replaces a comparator sort (about 2.5x faster at 33,600 candidates).
 */
function scoreOrder(scores: Float32Array | Float64Array, count: number): Int32Array {
  const order = new Int32Array(count);
  const bits =
    scores instanceof Float32Array ? new Uint32Array(scores.buffer, scores.byteOffset, count) : null;
  let packable = bits !== null && count <= INDEX_BITS;
  // A set sign bit (negative scores, -0) breaks the bit order: fall back to the comparator.
  for (let i = 0; packable && i < count; i++) if (bits![i]! >= 0x80000000) packable = false;
  if (!packable || bits === null) {
    for (let i = 0; i < count; i++) order[i] = i;
    return order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  }
  const keys = new Float64Array(count);
  for (let i = 0; i < count; i++) keys[i] = bits[i]! * INDEX_BITS + (INDEX_BITS - 1 - i);
  keys.sort();
  for (let r = 0; r < count; r++) order[r] = INDEX_BITS - 1 - (keys[count - 1 - r]! % INDEX_BITS);
  return order;
}

/**
 * Class-aware greedy non-maximum suppression (torchvision `batched_nms` semantics): visit boxes by
 * score, highest first (ties: lower index first), keep a box unless a kept box of the same class
 * overlaps it with IoU `>` `iouThreshold`; stop at `maxDetections`.
 *
 * Complexity: O(N log N) for the one sort plus O(N * K) IoU tests, K = boxes kept (<= maxDetections);
 * each candidate is compared only with kept boxes, never with other candidates.
 *
 * @param boxes `[x1, y1, x2, y2]` per candidate, at least `4 * count` numbers
 * @param scores score per candidate, finite
 * @param classIds class per candidate
 * @param count number of candidates to consider (a prefix of the arrays)
 * @returns kept candidate indices, in descending score order
 * @throws {TypeError|RangeError} on bad lengths, non-finite scores or thresholds out of range
 */
export function nms(
  boxes: Float32Array | Float64Array,
  scores: Float32Array | Float64Array,
  classIds: Int32Array,
  count: number,
  options: NmsOptions,
): Int32Array {
  if (!(boxes instanceof Float32Array || boxes instanceof Float64Array)) {
    throw new TypeError(`boxes must be a Float32Array, got ${describe(boxes)}`);
  }
  if (!(scores instanceof Float32Array || scores instanceof Float64Array)) {
    throw new TypeError(`scores must be a Float32Array, got ${describe(scores)}`);
  }
  if (!(classIds instanceof Int32Array))
    throw new TypeError(`classIds must be an Int32Array, got ${describe(classIds)}`);
  assertInteger('count', count, 0);
  const { iouThreshold, maxDetections } = options;
  assertInRange('iouThreshold', iouThreshold, 0, 1);
  assertInteger('maxDetections', maxDetections, 0);
  if (boxes.length < count * 4)
    throw new RangeError(`boxes.length must be >= 4*count = ${count * 4}, got ${boxes.length}`);
  if (scores.length < count)
    throw new RangeError(`scores.length must be >= count = ${count}, got ${scores.length}`);
  if (classIds.length < count)
    throw new RangeError(`classIds.length must be >= count = ${count}, got ${classIds.length}`);
  for (let i = 0; i < count; i++) {
    if (!Number.isFinite(scores[i]!))
      throw new RangeError(`scores[${i}] must be a finite number, got ${scores[i]}`);
  }

  const order = scoreOrder(scores, count);

  const limit = Math.min(maxDetections, count);
  const kept = new Int32Array(limit);
  // Kept boxes copied into flat arrays (with areas) so the inner loop reads contiguous memory.
  const kx1 = new Float64Array(limit);
  const ky1 = new Float64Array(limit);
  const kx2 = new Float64Array(limit);
  const ky2 = new Float64Array(limit);
  const karea = new Float64Array(limit);
  const kcls = new Int32Array(limit);
  let k = 0;
  for (let r = 0; r < count && k < limit; r++) {
    const i = order[r]!;
    const o = i * 4;
    const x1 = boxes[o]!;
    const y1 = boxes[o + 1]!;
    const x2 = boxes[o + 2]!;
    const y2 = boxes[o + 3]!;
    const cls = classIds[i]!;
    const area = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
    let suppressed = false;
    for (let j = 0; j < k; j++) {
      if (kcls[j] !== cls) continue;
      const iw = Math.min(x2, kx2[j]!) - Math.max(x1, kx1[j]!);
      if (iw <= 0) continue;
      const ih = Math.min(y2, ky2[j]!) - Math.max(y1, ky1[j]!);
      if (ih <= 0) continue;
      const inter = iw * ih;
      const union = area + karea[j]! - inter;
      if (union > 0 && inter / union > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept[k] = i;
    kx1[k] = x1;
    ky1[k] = y1;
    kx2[k] = x2;
    ky2[k] = y2;
    karea[k] = area;
    kcls[k] = cls;
    k++;
  }
  return k === limit ? kept : kept.slice(0, k);
}
