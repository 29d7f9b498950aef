import { DEFAULT_GAP_FACTOR } from './defaults.js';
import type { BoxXyxy, ShelfAnalysis, ShelfRow } from './types.js';
import { assertBox, assertInRange, describe } from './validate.js';

/** Options of {@link analyzeShelf}. */
export interface ShelfOptions {
  /** A gap is reported when wider than this x the row's median product width (>= 0). @default DEFAULT_GAP_FACTOR (1.0) */
  gapFactor?: number;
  /**
   * A box joins a row when its vertical overlap with the row's band is more than this fraction of the
   * smaller of the two heights, in (0, 1). @default 0.5
   */
  minOverlap?: number;
}

interface Row {
  members: number[];
  /** Sorted tops / bottoms of the members; their medians are the row's band. */
  tops: number[];
  bottoms: number[];
  top: number;
  bottom: number;
}

function median(sorted: readonly number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

function insertSorted(list: number[], v: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, v);
}

/**
 * Estimates the shelves' tilt (dy/dx) as the median slope of the bottom edges of horizontal
 * neighbours: each box paired with the nearest box to its right (at least half a width away, at most
 * 3 median widths) that overlaps it vertically by more than half the smaller height. Products stand on shelf boards, so
 * bottoms line up better than tops. 0 with fewer than 3 pairs; clamped to +-0.5 (about 27 degrees).
 */
function estimateTilt(x1: Float64Array, y1: Float64Array, x2: Float64Array, y2: Float64Array): number {
  const n = x1.length;
  const widths = Array.from(x1, (v, i) => x2[i]! - v).sort((a, b) => a - b);
  const maxDx = 3 * median(widths);
  const slopes: number[] = [];
  for (let i = 0; i < n; i++) {
    const cxi = (x1[i]! + x2[i]!) / 2;
    const hi = y2[i]! - y1[i]!;
    let best = -1;
    let bestDx = maxDx;
    for (let j = 0; j < n; j++) {
      const dx = (x1[j]! + x2[j]!) / 2 - cxi;
      // Skip overlapping duplicates: their tiny dx would turn pixel noise into steep slopes.
      if (dx > bestDx || dx < 0.5 * Math.min(x2[i]! - x1[i]!, x2[j]! - x1[j]!)) continue;
      const ov = Math.min(y2[i]!, y2[j]!) - Math.max(y1[i]!, y1[j]!);
      if (ov > 0.5 * Math.min(hi, y2[j]! - y1[j]!)) {
        best = j;
        bestDx = dx;
      }
    }
    if (best >= 0) slopes.push((y2[best]! - y2[i]!) / bestDx);
  }
  if (slopes.length < 3) return 0;
  slopes.sort((a, b) => a - b);
  return Math.max(-0.5, Math.min(0.5, median(slopes)));
}

/**
 * Groups detections into shelf rows and finds the empty stretches inside each row.
 *
 * Rows: a row is a horizontal band, the median top and median bottom of its members. A box joins the
 * row whose band it overlaps most, if that overlap is more than `minOverlap` of the smaller height
 * (ties: the band whose centre is nearest). Boxes are placed shortest first, so ordinary products
 * found the bands and a tall box (or a false detection spanning two shelves) joins one row without
 * stretching its band; medians keep that true as rows grow. Two reassignment passes against the final
 * bands (merging bands that came to overlap) undo order effects. Rows are sorted top to bottom.
 * Tilt: grouping runs on coordinates sheared by the shelves' estimated slope (median slope of
 * neighbouring products' bottom edges), so a photo taken with the phone rolled keeps its rows; gap
 * boxes are sheared back. Strong perspective (rows converging at different slopes) is not modelled.
 *
 * Gaps: members sorted by left edge; a stretch between the right-most edge reached so far and the
 * next product's left edge wider than `gapFactor` x the row's median product width is a gap, reported
 * as a box spanning the row's band. The ends of a row are never gaps (the shelf's extent is unknown).
 *
 * @param detections anything with a `box` in `[x1, y1, x2, y2]` pixels (e.g. `Detection`)
 * @throws {TypeError|RangeError} on a malformed box or option
 */
export function analyzeShelf(
  detections: readonly { readonly box: Readonly<BoxXyxy> }[],
  options: ShelfOptions = {},
): ShelfAnalysis {
  return analyzeShelfWithMembers(detections, options).analysis;
}

/** {@link analyzeShelf}'s result plus which row each detection landed in. */
export interface ShelfAnalysisWithMembers {
  analysis: ShelfAnalysis;
  /** `rowOf[i]` is the index in `analysis.rows` of `detections[i]`'s row. */
  rowOf: Int32Array;
}

/**
 * Same as {@link analyzeShelf}, also telling which row each detection belongs to (for drawing rows
 * or per-row statistics) without changing the `ShelfAnalysis` JSON shape.
 * @throws {TypeError|RangeError} on a malformed box or option
 */
export function analyzeShelfWithMembers(
  detections: readonly { readonly box: Readonly<BoxXyxy> }[],
  options: ShelfOptions = {},
): ShelfAnalysisWithMembers {
  if (!Array.isArray(detections))
    throw new TypeError(`detections must be an array, got ${describe(detections)}`);
  const gapFactor = options.gapFactor ?? DEFAULT_GAP_FACTOR;
  const minOverlap = options.minOverlap ?? 0.5;
  assertInRange('gapFactor', gapFactor, 0, Number.MAX_VALUE);
  assertInRange('minOverlap', minOverlap, 0, 1);
  const n = detections.length;
  const x1 = new Float64Array(n);
  const y1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = detections[i];
    if (d === null || typeof d !== 'object')
      throw new TypeError(`detections[${i}] must be an object, got ${describe(d)}`);
    const b = d.box;
    assertBox(`detections[${i}].box`, b);
    const bx1 = b[0]!;
    const by1 = b[1]!;
    const bx2 = b[2]!;
    const by2 = b[3]!;
    if (bx2 < bx1 || by2 < by1) {
      throw new RangeError(
        `detections[${i}].box must have x2 >= x1 and y2 >= y1, got [${bx1}, ${by1}, ${bx2}, ${by2}]`,
      );
    }
    x1[i] = bx1;
    y1[i] = by1;
    x2[i] = bx2;
    y2[i] = by2;
  }
  const rowOf = new Int32Array(n);
  if (n === 0) return { analysis: { rows: [] }, rowOf };
  const oy1 = y1.slice();
  const oy2 = y2.slice();
  // De-skew: group in coordinates sheared by the estimated tilt, so a rolled camera's rows stay rows.
  const slope = estimateTilt(x1, y1, x2, y2);
  for (let i = 0; i < n; i++) {
    const shift = slope * ((x1[i]! + x2[i]!) / 2);
    y1[i] = y1[i]! - shift;
    y2[i] = y2[i]! - shift;
  }

  const overlapRatio = (i: number, top: number, bottom: number): number => {
    const ov = Math.min(y2[i]!, bottom) - Math.max(y1[i]!, top);
    if (ov <= 0) return 0;
    return ov / Math.max(1e-9, Math.min(y2[i]! - y1[i]!, bottom - top));
  };
  const bestRow = (i: number, rows: readonly Row[]): number => {
    let best = -1;
    let bestRatio = minOverlap;
    let bestDist = Number.POSITIVE_INFINITY;
    const cy = (y1[i]! + y2[i]!) / 2;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (row.members.length === 0) continue;
      const ratio = overlapRatio(i, row.top, row.bottom);
      const dist = Math.abs((row.top + row.bottom) / 2 - cy);
      // Ratios within 1e-9 are a tie, broken by the nearer band centre.
      if (
        ratio > bestRatio + 1e-9 ||
        (ratio > minOverlap && Math.abs(ratio - bestRatio) <= 1e-9 && dist < bestDist)
      ) {
        best = r;
        bestRatio = ratio;
        bestDist = dist;
      }
    }
    return best;
  };
  const addTo = (row: Row, i: number): void => {
    row.members.push(i);
    insertSorted(row.tops, y1[i]!);
    insertSorted(row.bottoms, y2[i]!);
    row.top = median(row.tops);
    row.bottom = median(row.bottoms);
  };
  const newRow = (i: number): Row => {
    const row: Row = { members: [], tops: [], bottoms: [], top: 0, bottom: 0 };
    addTo(row, i);
    return row;
  };

  // Shortest first (ties: higher up, then input order) so typical products found the bands.
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => y2[a]! - y1[a]! - (y2[b]! - y1[b]!) || y1[a]! + y2[a]! - (y1[b]! + y2[b]!) || a - b,
  );
  let rows: Row[] = [];
  for (const i of order) {
    const r = bestRow(i, rows);
    if (r < 0) rows.push(newRow(i));
    else addTo(rows[r]!, i);
  }

  for (let pass = 0; pass < 2; pass++) {
    // Merge bands that overlap like a box would join them (a row founded twice).
    rows.sort((a, b) => a.top + a.bottom - (b.top + b.bottom));
    const merged: Row[] = [];
    for (const row of rows) {
      const prev = merged[merged.length - 1];
      if (prev !== undefined) {
        const ov = Math.min(prev.bottom, row.bottom) - Math.max(prev.top, row.top);
        const h = Math.max(1e-9, Math.min(prev.bottom - prev.top, row.bottom - row.top));
        if (ov / h > minOverlap) {
          for (const i of row.members) addTo(prev, i);
          continue;
        }
      }
      merged.push(row);
    }
    // Reassign every box against the now fixed bands; a box that fits no band stays where it is.
    const fixed = merged.map((r) => ({ ...r, members: [...r.members] }));
    const next: Row[] = merged.map(() => ({ members: [], tops: [], bottoms: [], top: 0, bottom: 0 }));
    let moved = false;
    fixed.forEach((row, r) => {
      for (const i of row.members) {
        const b = bestRow(i, fixed);
        const target = b < 0 ? r : b;
        if (target !== r) moved = true;
        addTo(next[target]!, i);
      }
    });
    rows = next.filter((r) => r.members.length > 0);
    if (!moved) break;
  }
  rows.sort((a, b) => a.top + a.bottom - (b.top + b.bottom));

  const result: ShelfRow[] = rows.map((row, r) => {
    for (const i of row.members) rowOf[i] = r;
    const m = row.members.slice().sort((a, b) => x1[a]! - x1[b]! || x2[a]! - x2[b]! || a - b);
    let ux1 = Number.POSITIVE_INFINITY;
    let uy1 = Number.POSITIVE_INFINITY;
    let ux2 = Number.NEGATIVE_INFINITY;
    let uy2 = Number.NEGATIVE_INFINITY;
    const widths: number[] = [];
    for (const i of m) {
      ux1 = Math.min(ux1, x1[i]!);
      uy1 = Math.min(uy1, oy1[i]!);
      ux2 = Math.max(ux2, x2[i]!);
      uy2 = Math.max(uy2, oy2[i]!);
      widths.push(x2[i]! - x1[i]!);
    }
    widths.sort((a, b) => a - b);
    const minGap = gapFactor * median(widths);
    const gaps: BoxXyxy[] = [];
    let reach = x2[m[0]!]!;
    for (let k = 1; k < m.length; k++) {
      const i = m[k]!;
      if (x1[i]! - reach > minGap) {
        const shift = slope * ((reach + x1[i]!) / 2); // back from sheared to image coordinates
        gaps.push([reach, row.top + shift, x1[i]!, row.bottom + shift]);
      }
      reach = Math.max(reach, x2[i]!);
    }
    return { box: [ux1, uy1, ux2, uy2], count: m.length, gaps };
  });
  return { analysis: { rows: result }, rowOf };
}
