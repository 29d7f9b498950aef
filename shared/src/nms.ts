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

/** Kept boxes as flat arrays (with areas) so the inner loop reads contiguous memory. */
interface KeptBoxes {
  x1: Float64Array;
  y1: Float64Array;
  x2: Float64Array;
  y2: Float64Array;
  area: Float64Array;
  cls: Int32Array;
}

/** Whether kept box `j` suppresses the candidate (same class, IoU > threshold). */
function overlapsKept(
  kb: KeptBoxes,
  j: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  area: number,
  cls: number,
  iouThreshold: number,
): boolean {
  if (kb.cls[j] !== cls) return false;
  const iw = Math.min(x2, kb.x2[j]!) - Math.max(x1, kb.x1[j]!);
  if (iw <= 0) return false;
  const ih = Math.min(y2, kb.y2[j]!) - Math.max(y1, kb.y1[j]!);
  if (ih <= 0) return false;
  const inter = iw * ih;
  const union = area + kb.area[j]! - inter;
  return union > 0 && inter / union > iouThreshold;
}

/** Uniform grid over the candidates' extent; `cells[row * cols + col]` lists kept-box slots. */
interface Grid {
  cols: number;
  /** Kept boxes spanning more than `BIG_BOX_CELLS` cells, tested by every candidate instead. */
  big: number[];
  cells: (number[] | undefined)[];
  col(x: number): number;
  row(y: number): number;
}

const MAX_CELLS = 16_384;
const BIG_BOX_CELLS = 64;

function makeGrid(boxes: Float32Array | Float64Array, count: number, order: Int32Array): Grid {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const o = i * 4;
    minX = Math.min(minX, boxes[o]!);
    minY = Math.min(minY, boxes[o + 1]!);
    maxX = Math.max(maxX, boxes[o + 2]!);
    maxY = Math.max(maxY, boxes[o + 3]!);
  }
  const spanX = Math.max(maxX - minX, 1e-6);
  const spanY = Math.max(maxY - minY, 1e-6);
  // Cell size: the median size of the best-scored candidates (the ones likely to be kept).
  const sample = Math.min(count, 512);
  const ws = new Float64Array(sample);
  const hs = new Float64Array(sample);
  for (let r = 0; r < sample; r++) {
    const o = order[r]! * 4;
    ws[r] = boxes[o + 2]! - boxes[o]!;
    hs[r] = boxes[o + 3]! - boxes[o + 1]!;
  }
  ws.sort();
  hs.sort();
  const medW = ws[sample >> 1]!;
  const medH = hs[sample >> 1]!;
  let cols = medW > 0 ? Math.ceil(spanX / medW) : 16;
  let rows = medH > 0 ? Math.ceil(spanY / medH) : 16;
  while (cols * rows > MAX_CELLS) {
    cols = Math.ceil(cols / 2);
    rows = Math.ceil(rows / 2);
  }
  const fx = cols / spanX;
  const fy = rows / spanY;
  return {
    cols,
    big: [],
    cells: new Array(cols * rows),
    col: (x) => Math.min(cols - 1, Math.max(0, Math.floor((x - minX) * fx))),
    row: (y) => Math.min(rows - 1, Math.max(0, Math.floor((y - minY) * fy))),
  };
}

/**
 * Class-aware greedy non-maximum suppression (torchvision `batched_nms` semantics): visit boxes by
 * score, highest first (ties: lower index first), keep a box unless a kept box of the same class
 * overlaps it with IoU `>` `iouThreshold`; stop at `maxDetections`.
 *
 * Complexity: O(N log N) for the one sort plus O(N * K) IoU tests in the worst case, K = boxes kept
 * (<= maxDetections): each candidate is compared only with kept boxes, never with other candidates.
 * A uniform grid (cells about one median box in size) narrows that to the kept boxes sharing a
 * cell, so on real outputs (boxes spread over the image) the tests are close to O(N). Kept boxes
 * covering many cells go to a list every candidate tests, and a candidate covering more cells than
 * there are kept boxes falls back to the plain scan, so the grid never costs more than O(N * K).
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

  for (let q = 0; q < count * 4; q++) {
    if (!Number.isFinite(boxes[q]!))
      throw new RangeError(`boxes[${q}] must be a finite number, got ${boxes[q]}`);
  }

  const order = scoreOrder(scores, count);
  const limit = Math.min(maxDetections, count);
  const kept = new Int32Array(limit);
  if (limit === 0) return kept;
  const grid = makeGrid(boxes, count, order);
  const kb: KeptBoxes = {
    x1: new Float64Array(limit),
    y1: new Float64Array(limit),
    x2: new Float64Array(limit),
    y2: new Float64Array(limit),
    area: new Float64Array(limit),
    cls: new Int32Array(limit),
  };
  const seen = new Int32Array(limit).fill(-1); // candidate rank that last tested kept box j
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
    // IoU > threshold >= 0 needs a positive intersection, so only kept boxes sharing a cell can
    // suppress this one; an inverted box covers no cell and, as in the plain loop, never overlaps.
    const cx0 = grid.col(x1);
    const cx1 = grid.col(x2);
    const cy0 = grid.row(y1);
    const cy1 = grid.row(y2);
    const covered = Math.max(0, cx1 - cx0 + 1) * Math.max(0, cy1 - cy0 + 1);
    let suppressed = false;
    if (covered > k) {
      // A box spanning more cells than there are kept boxes: the plain scan is cheaper.
      for (let j = 0; j < k && !suppressed; j++)
        suppressed = overlapsKept(kb, j, x1, y1, x2, y2, area, cls, iouThreshold);
    } else {
      for (let b = 0; b < grid.big.length && !suppressed; b++) {
        const j = grid.big[b]!;
        seen[j] = r;
        suppressed = overlapsKept(kb, j, x1, y1, x2, y2, area, cls, iouThreshold);
      }
      scan: for (let gy = cy0; gy <= cy1 && !suppressed; gy++) {
        for (let gx = cx0; gx <= cx1; gx++) {
          const cell = grid.cells[gy * grid.cols + gx];
          if (cell === undefined) continue;
          for (let c = 0; c < cell.length; c++) {
            const j = cell[c]!;
            if (seen[j] === r) continue;
            seen[j] = r;
            if (overlapsKept(kb, j, x1, y1, x2, y2, area, cls, iouThreshold)) {
              suppressed = true;
              break scan;
            }
          }
        }
      }
    }
    if (suppressed) continue;
    kept[k] = i;
    kb.x1[k] = x1;
    kb.y1[k] = y1;
    kb.x2[k] = x2;
    kb.y2[k] = y2;
    kb.area[k] = area;
    kb.cls[k] = cls;
    if (covered > BIG_BOX_CELLS) grid.big.push(k);
    else
      for (let gy = cy0; gy <= cy1; gy++) {
        for (let gx = cx0; gx <= cx1; gx++) {
          const idx = gy * grid.cols + gx;
          const cell = grid.cells[idx];
          if (cell === undefined) grid.cells[idx] = [k];
          else cell.push(k);
        }
      }
    k++;
  }
  return k === limit ? kept : kept.slice(0, k);
}
