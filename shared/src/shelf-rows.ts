import { DEFAULT_GAP_FACTOR } from './defaults.js';
import type { FixtureBreak } from './fixture-breaks.js';
import { rowGaps } from './row-gaps.js';
import { type Boxes, groupRows } from './row-grouping.js';
import { lineY } from './row-line.js';
import type { BoxXyxy, ShelfAnalysis, ShelfRow } from './types.js';
import { assertBox, assertInRange, describe } from './validate.js';

/** Options of {@link analyzeShelf}. */
export interface ShelfOptions {
  /** A gap is reported when wider than this x the median width of its neighbouring products (>= 0). @default DEFAULT_GAP_FACTOR (1.0) */
  gapFactor?: number;
}

/** {@link analyzeShelf}'s result plus which row each detection landed in. */
export interface ShelfAnalysisWithMembers {
  analysis: ShelfAnalysis;
  /** `rowOf[i]` is the index in `analysis.rows` of `detections[i]`'s row. */
  rowOf: Int32Array;
  /** The breaks between fixtures side by side that the rows were cut at: lines `x = x0 + k y` in image pixels. */
  breaks: FixtureBreak[];
}

export type { FixtureBreak };

/** Rounds to 0.01 px, as `postprocess` rounds boxes. */
const px = (v: number) => Math.round(v * 100) / 100;

function readBoxes(detections: readonly { readonly box: Readonly<BoxXyxy> }[]): Boxes {
  if (!Array.isArray(detections))
    throw new TypeError(`detections must be an array, got ${describe(detections)}`);
  const n = detections.length;
  const b: Boxes = {
    x1: new Float64Array(n),
    y1: new Float64Array(n),
    x2: new Float64Array(n),
    y2: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const d = detections[i];
    if (d === null || typeof d !== 'object')
      throw new TypeError(`detections[${i}] must be an object, got ${describe(d)}`);
    const box = d.box;
    assertBox(`detections[${i}].box`, box);
    const [bx1, by1, bx2, by2] = box as unknown as [number, number, number, number];
    if (bx2 < bx1 || by2 < by1) {
      throw new RangeError(
        `detections[${i}].box must have x2 >= x1 and y2 >= y1, got [${bx1}, ${by1}, ${bx2}, ${by2}]`,
      );
    }
    b.x1[i] = bx1;
    b.y1[i] = by1;
    b.x2[i] = bx2;
    b.y2[i] = by2;
  }
  return b;
}

/**
 * Groups detections into shelf rows and finds the empty stretches along each row.
 *
 * A row is a straight line fitted robustly to its products' bottom edges (products stand on shelf
 * boards), so rows may be tilted and converge at different slopes (perspective, a rolled phone);
 * products stacked on others join the row they stand on; separate fixtures side by side (cooler
 * doors, gondola sections) get separate rows. Gaps are measured along each row in its own local
 * scale. How: `row-grouping.ts` (rows), `row-line.ts` (the robust line), `row-gaps.ts` (gaps).
 * Rows are sorted top to bottom by their line's height at the row's middle.
 *
 * @param detections anything with a `box` in `[x1, y1, x2, y2]` pixels (e.g. `postprocess`'s output)
 * @throws {TypeError|RangeError} on a malformed box or option
 */
export function analyzeShelf(
  detections: readonly { readonly box: Readonly<BoxXyxy> }[],
  options: ShelfOptions = {},
): ShelfAnalysis {
  return analyzeShelfWithMembers(detections, options).analysis;
}

/**
 * Same as {@link analyzeShelf}, also telling which row each detection belongs to.
 * @throws {TypeError|RangeError} on a malformed box or option
 */
export function analyzeShelfWithMembers(
  detections: readonly { readonly box: Readonly<BoxXyxy> }[],
  options: ShelfOptions = {},
): ShelfAnalysisWithMembers {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  for (const key of Object.keys(options))
    if (key !== 'gapFactor') throw new RangeError(`options has an unknown key '${key}'`);
  const gapFactor = options.gapFactor ?? DEFAULT_GAP_FACTOR;
  assertInRange('gapFactor', gapFactor, 0, Number.MAX_VALUE);
  const raw = readBoxes(detections);
  // Work in a canonical order (by coordinates), so that rows do not depend on the input order.
  const n = raw.x1.length;
  const perm = Int32Array.from({ length: n }, (_, i) => i).sort(
    (p, q) =>
      raw.x1[p]! - raw.x1[q]! ||
      raw.y1[p]! - raw.y1[q]! ||
      raw.x2[p]! - raw.x2[q]! ||
      raw.y2[p]! - raw.y2[q]! ||
      p - q,
  );
  const b: Boxes = {
    x1: Float64Array.from(perm, (i) => raw.x1[i]!),
    y1: Float64Array.from(perm, (i) => raw.y1[i]!),
    x2: Float64Array.from(perm, (i) => raw.x2[i]!),
    y2: Float64Array.from(perm, (i) => raw.y2[i]!),
  };
  const rowOf = new Int32Array(n);
  const grouped = groupRows(b);
  const groups = grouped.rows.map((g) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const i of g.members) {
      lo = Math.min(lo, b.x1[i]!);
      hi = Math.max(hi, b.x2[i]!);
    }
    return { ...g, lo, hi, key: lineY(g.line, (lo + hi) / 2) };
  });
  groups.sort((p, q) => p.key - q.key || p.lo - q.lo || p.members[0]! - q.members[0]!);
  const rows: ShelfRow[] = groups.map((g, r) => {
    let uy1 = Number.POSITIVE_INFINITY;
    let uy2 = Number.NEGATIVE_INFINITY;
    for (const i of g.members) {
      rowOf[perm[i]!] = r;
      uy1 = Math.min(uy1, b.y1[i]!);
      uy2 = Math.max(uy2, b.y2[i]!);
    }
    return {
      box: [g.lo, uy1, g.hi, uy2],
      line: [
        [px(g.lo), px(lineY(g.line, g.lo))],
        [px(g.hi), px(lineY(g.line, g.hi))],
      ],
      count: g.members.length,
      gaps: rowGaps(b, g.members, g.line, gapFactor).map((gap) => gap.map(px) as BoxXyxy),
    };
  });
  return { analysis: { rows }, rowOf, breaks: grouped.breaks };
}

/**
 * Groups detections into shelf rows ({@link analyzeShelf}) and returns them with their row:
 * copies of the detections with `row` set (the index of their row in `shelf.rows`), and the analysis.
 * The shape of `PredictResult`'s `detections` and `shelf`, for the server and the PWA alike.
 * @throws {TypeError|RangeError} on a malformed box or option
 */
export function attachShelfRows<T extends { readonly box: Readonly<BoxXyxy> }>(
  detections: readonly T[],
  options: ShelfOptions = {},
): { detections: (T & { row: number })[]; shelf: ShelfAnalysis } {
  const { analysis, rowOf } = analyzeShelfWithMembers(detections, options);
  return { detections: detections.map((d, i) => ({ ...d, row: rowOf[i]! })), shelf: analysis };
}
