import { seededRandom } from './random.js';
import type { BoxXyxy } from './types.js';
import { assertArrayLike, assertBox, assertInteger, describe } from './validate.js';

/** One photo for {@link evaluateRows}: detected products, the detected row of each, the labelled rows. */
export interface RowEvalPhoto {
  /** Detected product boxes `[x1, y1, x2, y2]`. */
  boxes: readonly Readonly<BoxXyxy>[];
  /** `rowOf[i]` is the detected row (any integer id) of `boxes[i]`, e.g. `Detection.row`. */
  rowOf: ArrayLike<number>;
  /** Labelled shelf rows as boxes in the same pixels. */
  labelled: readonly Readonly<BoxXyxy>[];
  /** Products counted by hand in some labelled rows: `{row: index into labelled, count}`. @default [] */
  counted?: readonly { row: number; count: number }[];
}

/** Split, merge and stray rates of detected rows against labelled rows (see {@link evaluateRows}). */
export interface RowEvaluation {
  detectedRows: number;
  /** Detected rows holding >= 3 detections that lie in a labelled row. */
  judgedDetectedRows: number;
  /** Judged detected rows in which two or more labelled rows each hold >= 20 % of those detections. */
  mergedRows: number;
  mergedRate: number;
  /** Merged rows whose labelled rows lie side by side (overlapping vertically by more than half): fixtures or sections joined, not shelves. */
  mergedSideBySide: number;
  labelledRows: number;
  /** Labelled rows holding >= 3 detections. */
  judgedLabelledRows: number;
  /** Judged labelled rows whose detections fall in two or more detected rows, each with >= 20 % of them. */
  splitRows: number;
  splitRate: number;
  /** Split labelled rows whose parts lie side by side (x-ranges overlapping by less than half): cut along the shelf, not into layers. */
  splitSideBySide: number;
  /** Detected rows holding a single detection. */
  strayRows: number;
  /** `strayRows / detectedRows`. */
  strayRate: number;
  /** One entry per hand-counted row: the detector's count and the rows' count (see {@link evaluateRows}). */
  counted: {
    photo: number;
    row: number;
    count: number;
    detector: number;
    rows: number;
    rowsInSpan: number;
  }[];
  /** Mean over hand-counted rows of |detector - count| / count, in percent (NaN without any). */
  detectorCountMape: number;
  /** Mean over hand-counted rows of |rows - count| / count, in percent (NaN without any). */
  rowsCountMape: number;
  /** Same for `rowsInSpan`: the grouping's error alone, where a row runs on past the labelled span. */
  rowsInSpanCountMape: number;
}

/** A detection is judged when it holds at least this many detections. */
const MIN_JUDGED = 3;
/** A share of a row counts when it is at least this fraction of the row's detections. */
const MIN_SHARE = 0.2;

/**
 * The labelled row of each box: the labelled row that contains the box's centre; where labelled rows
 * overlap, the one whose vertical centre is nearest the box's centre (ties: the lower index); -1 when
 * none contains it.
 */
export function labelledRowOf(
  boxes: readonly Readonly<BoxXyxy>[],
  labelled: readonly Readonly<BoxXyxy>[],
): Int32Array {
  const out = new Int32Array(boxes.length).fill(-1);
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i]!;
    const cx = (b[0] + b[2]) / 2;
    const cy = (b[1] + b[3]) / 2;
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < labelled.length; k++) {
      const l = labelled[k]!;
      if (cx < l[0] || cx > l[2] || cy < l[1] || cy > l[3]) continue;
      const d = Math.abs((l[1] + l[3]) / 2 - cy);
      if (d < best) {
        best = d;
        out[i] = k;
      }
    }
  }
  return out;
}

/** Keys holding at least `MIN_SHARE` of `total` (shares of a row's detections), ascending. */
function sharesOf(tally: ReadonlyMap<number, number>, total: number): number[] {
  const keys: number[] = [];
  for (const [k, v] of tally) if (v >= MIN_SHARE * total) keys.push(k);
  return keys.sort((a, c) => a - c);
}

function bump(map: Map<number, Map<number, number>>, key: number, sub: number): void {
  let m = map.get(key);
  if (m === undefined) {
    m = new Map();
    map.set(key, m);
  }
  m.set(sub, (m.get(sub) ?? 0) + 1);
}

/**
 * Compares detected shelf rows with labelled ones over a set of photos.
 *
 * A detection belongs to the labelled row that contains its centre ({@link labelledRowOf}); detections
 * outside every labelled row are ignored except for the stray count. A detected row is judged when
 * it holds >= 3 detections that belong to labelled rows, and is *merged* when two or more labelled
 * rows each hold >= 20 % of those. A labelled row is judged when it holds >= 3 detections and is
 * *split* when two or more detected rows each hold >= 20 % of them. A detected row is *stray* when it
 * holds a single detection (of all detections).
 *
 * Hand counts: the detector's count of a counted row is the detections centred in its box (overlaps
 * with other labelled rows included, as the hand counts define it); the
 * rows' count is the total `count` of the detected rows whose labelled detections mostly (strictly
 * most, ties: none) belong to that labelled row — what a person reading the per-row counts sees;
 * `rowsInSpan` counts only their detections centred within the labelled row's x-range, for photos
 * whose labels cover one section of a longer shelf.
 * Merged and split rows are also told apart by layout: labelled rows side by side in one detected
 * row (sections or fixtures joined), or parts of a labelled row side by side (cut along the shelf).
 * O(n * L) per photo for n detections and L labelled rows.
 * @throws {TypeError|RangeError} on a malformed photo
 */
export function evaluateRows(photos: readonly RowEvalPhoto[]): RowEvaluation {
  if (!Array.isArray(photos)) throw new TypeError(`photos must be an array, got ${describe(photos)}`);
  let detectedRows = 0;
  let judgedDetectedRows = 0;
  let mergedRows = 0;
  let labelledRows = 0;
  let judgedLabelledRows = 0;
  let splitRows = 0;
  let mergedSideBySide = 0;
  let splitSideBySide = 0;
  let strayRows = 0;
  const counted: RowEvaluation['counted'] = [];
  photos.forEach((photo, p) => {
    const { boxes, rowOf, labelled } = photo;
    if (!Array.isArray(boxes))
      throw new TypeError(`photos[${p}].boxes must be an array, got ${describe(boxes)}`);
    assertArrayLike(`photos[${p}].rowOf`, rowOf);
    if (!Array.isArray(labelled))
      throw new TypeError(`photos[${p}].labelled must be an array, got ${describe(labelled)}`);
    if (rowOf.length !== boxes.length) {
      throw new RangeError(
        `photos[${p}].rowOf must have one entry per box (${boxes.length}), got ${rowOf.length}`,
      );
    }
    for (let i = 0; i < boxes.length; i++) assertBox(`photos[${p}].boxes[${i}]`, boxes[i]);
    for (let i = 0; i < labelled.length; i++) assertBox(`photos[${p}].labelled[${i}]`, labelled[i]);
    for (let i = 0; i < rowOf.length; i++) assertInteger(`photos[${p}].rowOf[${i}]`, rowOf[i], -(2 ** 31));
    const label = labelledRowOf(boxes, labelled);
    const centreX = boxes.map((b) => (b[0] + b[2]) / 2);
    const size = new Map<number, number>();
    const byDetected = new Map<number, Map<number, number>>(); // detected row -> labelled row -> n
    const byLabelled = new Map<number, Map<number, number>>(); // labelled row -> detected row -> n
    for (let i = 0; i < boxes.length; i++) {
      const r = rowOf[i]!;
      size.set(r, (size.get(r) ?? 0) + 1);
      const l = label[i]!;
      if (l < 0) continue;
      bump(byDetected, r, l);
      bump(byLabelled, l, r);
    }
    detectedRows += size.size;
    for (const n of size.values()) if (n === 1) strayRows++;
    const home = new Map<number, number>(); // detected row -> the labelled row holding most of it
    for (const [r, tally] of byDetected) {
      let total = 0;
      let best = -1;
      let bestN = 0;
      let tie = false;
      for (const [l, n] of tally) {
        total += n;
        if (n > bestN) {
          best = l;
          bestN = n;
          tie = false;
        } else if (n === bestN) tie = true;
      }
      if (!tie) home.set(r, best);
      if (total < MIN_JUDGED) continue;
      judgedDetectedRows++;
      const shares = sharesOf(tally, total);
      if (shares.length < 2) continue;
      mergedRows++;
      // Side by side: the labelled rows overlap vertically by more than half the shorter one.
      const overlapY = (a: number, c: number) => {
        const A = labelled[a]!;
        const C = labelled[c]!;
        return Math.min(A[3], C[3]) - Math.max(A[1], C[1]) > 0.5 * Math.min(A[3] - A[1], C[3] - C[1]);
      };
      if (shares.every((a, k) => shares.slice(k + 1).every((c) => overlapY(a, c)))) mergedSideBySide++;
    }
    labelledRows += labelled.length;
    for (const [l, tally] of byLabelled) {
      let total = 0;
      for (const n of tally.values()) total += n;
      if (total < MIN_JUDGED) continue;
      judgedLabelledRows++;
      const shares = sharesOf(tally, total);
      if (shares.length < 2) continue;
      splitRows++;
      // Side by side: the parts' detections in this row span x-ranges overlapping by less than half the shorter.
      const span = new Map<number, [number, number]>(shares.map((r) => [r, [Infinity, -Infinity]]));
      for (let i = 0; i < boxes.length; i++) {
        const s = label[i] === l ? span.get(rowOf[i]!) : undefined;
        if (s === undefined) continue;
        s[0] = Math.min(s[0], centreX[i]!);
        s[1] = Math.max(s[1], centreX[i]!);
      }
      const apart = (a: [number, number], c: [number, number]) =>
        Math.min(a[1], c[1]) - Math.max(a[0], c[0]) < 0.5 * Math.min(a[1] - a[0], c[1] - c[0]);
      const parts = [...span.values()];
      if (parts.every((a, k) => parts.slice(k + 1).every((c) => apart(a, c)))) splitSideBySide++;
    }
    for (const c of photo.counted ?? []) {
      assertInteger(`photos[${p}].counted row`, c.row, 0);
      if (c.row >= labelled.length)
        throw new RangeError(`photos[${p}].counted row must be < ${labelled.length}, got ${c.row}`);
      const [x1, y1, x2, y2] = labelled[c.row]!;
      let detector = 0;
      for (const b of boxes) {
        const cx = (b[0] + b[2]) / 2;
        const cy = (b[1] + b[3]) / 2;
        if (cx >= x1 && cx <= x2 && cy >= y1 && cy <= y2) detector++;
      }
      let rows = 0;
      let rowsInSpan = 0;
      for (const [r, l] of home) if (l === c.row) rows += size.get(r)!;
      for (let i = 0; i < boxes.length; i++)
        if (home.get(rowOf[i]!) === c.row && centreX[i]! >= x1 && centreX[i]! <= x2) rowsInSpan++;
      counted.push({ photo: p, row: c.row, count: c.count, detector, rows, rowsInSpan });
    }
  });
  const mape = (key: 'detector' | 'rows' | 'rowsInSpan'): number =>
    counted.length === 0 ? Number.NaN : countErrors(counted, key).reduce((a, e) => a + e, 0) / counted.length;
  return {
    detectedRows,
    judgedDetectedRows,
    mergedRows,
    mergedRate: judgedDetectedRows ? mergedRows / judgedDetectedRows : 0,
    mergedSideBySide,
    labelledRows,
    judgedLabelledRows,
    splitRows,
    splitRate: judgedLabelledRows ? splitRows / judgedLabelledRows : 0,
    splitSideBySide,
    strayRows,
    strayRate: detectedRows ? strayRows / detectedRows : 0,
    counted,
    detectorCountMape: mape('detector'),
    rowsCountMape: mape('rows'),
    rowsInSpanCountMape: mape('rowsInSpan'),
  };
}

export interface MeanInterval {
  mean: number;
  /** Percentile bootstrap bounds of the mean at `level`. */
  lo: number;
  hi: number;
}

/**
 * How far a mean over a few dozen rows could move with other rows counted: the mean of `values` and
 * its percentile bootstrap interval (`resamples` resamples with replacement, seeded, so a run is
 * repeatable). Given per-row differences of two models on the same rows, the interval of their
 * mean is a paired comparison: one that holds 0 cannot tell them apart. O(resamples * n).
 * @throws {RangeError} on no values, a value that is not finite, a level outside (0, 1) or fewer
 * than 100 resamples
 */
export function bootstrapMeanInterval(
  values: readonly number[],
  options: { level?: number; resamples?: number; seed?: number } = {},
): MeanInterval {
  const { level = 0.95, resamples = 10_000, seed = 1 } = options;
  const n = values.length;
  if (n === 0) throw new RangeError('values must not be empty');
  if (!values.every(Number.isFinite)) throw new RangeError('values must be finite numbers');
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 100)
    throw new RangeError(`resamples must be an integer >= 100, got ${resamples}`);
  const random = seededRandom(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let k = 0; k < n; k++) sum += values[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  const at = (q: number) => means[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return { mean: values.reduce((a, b) => a + b, 0) / n, lo: at(tail), hi: at(1 - tail) };
}

/** Per hand-counted row, the absolute count error in percent of the hand count, in `counted` order. */
export function countErrors(
  counted: RowEvaluation['counted'],
  key: 'detector' | 'rows' | 'rowsInSpan' = 'detector',
): number[] {
  return counted.map((c) => (100 * Math.abs(c[key] - c.count)) / c.count);
}
