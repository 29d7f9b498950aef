// Breaks between fixtures side by side (cooler doors, gondola sections), found in the rows, and the
// rows cut at them (internal to the shelf-row modules, not re-exported).
import type { Boxes, RowGroup } from './row-grouping.js';
import { fitRowLine, lineY, MAX_SLOPE, medianInPlace, type SlopePrior } from './row-line.js';

/** A near-vertical break line `x = x0 + k * y`. */
export interface FixtureBreak {
  x0: number;
  k: number;
}

/** Neighbours overlapping by at most this fraction of the narrower width still meet at a boundary. */
const BOUNDARY_OVERLAP = 0.12;
/** A line passes through a boundary within this x the row's median product width. */
const BOUNDARY_SLACK = 0.06;
/**
 * A break line leans (dx/dy) at most this much from upright or from the rows' roll: on a photo
 * rolled by an angle, rows slope by its tangent and verticals lean by minus that.
 */
const MAX_LEAN = 0.05;
/** A row crosses a line when it reaches this x its product width beyond it on both sides. */
const CROSSING_REACH = 2;
/** Rows with fewer members are not evidence for or against a break. */
const MIN_ROW = 4;
/** A row ending within this x its product width of a line is cut by it. */
const END_REACH = 0.5;
/** A break cuts this many rows (at a boundary or an end) ... */
const MIN_CUT_ROWS = 3;
/** ... and this share of the rows it meets ... */
const MIN_CUT_SHARE = 0.8;
/**
 * ... with a log-likelihood ratio against a line at random of at least this plus the log of the
 * number of (distinct) lines tried: at most e^-6 (1 in 400) that any line at random gets through.
 */
const MIN_EVIDENCE = 6;
/**
 * Offsets, in product widths beyond the cut on either side, of the parallel lines a break must beat
 * (in a grid of same-width products every boundary lines up).
 */
const GRID_OFFSETS = [0.5, 1, 1.5, 2];
/** ... by this much evidence. */
const GRID_MARGIN = 2;
/** Breaks are at least this x the product width apart (a fixture holds several products). */
const MIN_FIXTURE_WIDTH = 4;

interface RowBoundaries {
  slope: number;
  intercept: number;
  lo: number;
  hi: number;
  width: number;
  /** Sorted, disjoint x-intervals where neighbours meet or part: `[from, to]` pairs, slack included. */
  cuts: number[];
  /** Share of the row's extent inside `cuts`: the chance that a line at random meets one. */
  chance: number;
  /** Widths of the cuts, descending, and the running share of the extent they cover. */
  widths: Float64Array;
  covers: Float64Array;
}

/**
 * Where neighbouring products of a row part or meet: between the right-most edge reached so far and
 * the next left edge when they overlap by at most `BOUNDARY_OVERLAP` of the narrower width. (Where
 * products overhang an upright, nothing in the boxes shows it; the seams of the shelves' edge strips
 * in the photo were tried and removed for finding 1 of 27 labelled bay joints beside 11 false breaks
 * on the shipped detector's boxes: shared/README.md.)
 */
function rowBoundaries(b: Boxes, g: RowGroup): RowBoundaries {
  const { x1, x2 } = b;
  const m = g.members.slice().sort((p, q) => x1[p]! - x1[q]! || x2[p]! - x2[q]! || p - q);
  const width = medianInPlace(m.map((i) => x2[i]! - x1[i]!));
  const slack = BOUNDARY_SLACK * width;
  const cuts: number[] = [];
  let reach = x2[m[0]!]!;
  let reachW = x2[m[0]!]! - x1[m[0]!]!;
  for (let k = 1; k < m.length; k++) {
    const i = m[k]!;
    const wi = x2[i]! - x1[i]!;
    if (reach - x1[i]! <= BOUNDARY_OVERLAP * Math.min(wi, reachW)) {
      const from = Math.min(reach, x1[i]!) - slack;
      const to = Math.max(reach, x1[i]!) + slack;
      if (cuts.length > 0 && from <= cuts[cuts.length - 1]!) cuts[cuts.length - 1] = to;
      else cuts.push(from, to);
    }
    if (x2[i]! > reach) {
      reach = x2[i]!;
      reachW = wi;
    }
  }
  const lo = x1[m[0]!]!;
  const extent = Math.max(1e-9, reach - lo);
  const widths = new Float64Array(cuts.length >> 1);
  for (let c = 0; c < widths.length; c++) widths[c] = cuts[2 * c + 1]! - cuts[2 * c]!;
  widths.sort().reverse();
  const covers = new Float64Array(widths.length);
  let covered = 0;
  for (let c = 0; c < widths.length; c++) {
    covered += widths[c]!;
    covers[c] = covered / extent;
  }
  const chance = clampChance(covered / extent);
  return {
    slope: g.line.slope,
    intercept: g.line.intercept,
    lo,
    hi: reach,
    width,
    cuts,
    chance,
    widths,
    covers,
  };
}

const clampChance = (p: number) => Math.min(0.95, Math.max(0.01, p));

/**
 * The chance that a line at random meets a cut at least as wide as the one at `x` (the share of the
 * row covered by such cuts), or -1 when `x` is in no cut: a door frame's wide cut is far less likely
 * by chance than two products touching.
 */
function cutChance(r: RowBoundaries, x: number): number {
  const c = r.cuts;
  let lo = 0;
  let hi = c.length >> 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (c[2 * mid + 1]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= c.length >> 1 || c[2 * lo]! > x) return -1;
  const width = c[2 * lo + 1]! - c[2 * lo]!;
  // The last index whose width is >= this cut's width (widths descending).
  let a = 0;
  let b = r.widths.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (r.widths[mid]! >= width) a = mid + 1;
    else b = mid;
  }
  return clampChance(r.covers[a - 1]!);
}

/** Where the line `x = x0 + k y` meets a row's baseline, as x. */
function meet(r: RowBoundaries, x0: number, k: number): number {
  return (x0 + k * r.intercept) / (1 - k * r.slope);
}

/**
 * How a line fares against the rows: `cut` counts the rows it meets at a boundary or at an end,
 * `crossing` those of them it crosses (reaching `CROSSING_REACH` products beyond it on both sides),
 * `met` the rows it crosses or ends, and `evidence` is the log-likelihood ratio of "a break cuts
 * every row" against "a line at random": that one meets a cut as wide as the one it meets with that
 * cut's {@link cutChance}, and a row's end with the share of the row's reach taken by its end zones.
 * Rows between an end zone and `CROSSING_REACH` are ignored. The `anchors`, rows the line was drawn
 * through, add no evidence.
 */
function support(
  rows: readonly RowBoundaries[],
  x0: number,
  k: number,
  anchors: readonly RowBoundaries[] = [],
) {
  let cut = 0;
  let crossing = 0;
  let met = 0;
  let evidence = 0;
  for (const s of rows) {
    const xs = meet(s, x0, k);
    const end = END_REACH * s.width;
    const inner = CROSSING_REACH * s.width;
    let chance: number;
    if (Math.abs(xs - s.lo) <= end || Math.abs(xs - s.hi) <= end) {
      met++;
      cut++;
      chance = clampChance((4 * end) / (s.hi - s.lo + 2 * end));
    } else if (xs >= s.lo + inner && xs <= s.hi - inner) {
      met++;
      chance = cutChance(s, xs);
      if (chance >= 0) {
        cut++;
        crossing++;
      }
    } else continue;
    // The rows a line was drawn through are cut by construction: no evidence.
    if (anchors.includes(s)) continue;
    evidence += chance >= 0 ? -Math.log(chance) : Math.log(1 - s.chance);
  }
  return { cut, crossing, met, evidence };
}

/**
 * Points a break line may be drawn through: each end of the row, the middle of each cut, and across
 * a cut wider than a product points half a product apart (a door frame's cut is wide, and the line
 * through the frame of every shelf need not pass the middle of each).
 */
function anchorPoints(r: RowBoundaries): { x: number; half: number }[] {
  const out = [
    { x: r.lo, half: 0 },
    { x: r.hi, half: 0 },
  ];
  for (let c = 0; c < r.cuts.length; c += 2) {
    const from = r.cuts[c]!;
    const to = r.cuts[c + 1]!;
    const half = (to - from) / 2;
    out.push({ x: from + half, half });
    for (let x = from + r.width / 2; x < to - r.width / 4; x += r.width / 2) out.push({ x, half });
  }
  return out;
}

/**
 * Finds fixture breaks: near-vertical lines along which every shelf is cut. A door frame or a
 * gondola upright ends each shelf board at the same place, so along it the products of every row
 * part (an empty stretch), just meet (boxes touching) or the row ends; inside a fixture, products
 * of different rows have different widths and no line runs through their boundaries row after row.
 * Candidates are the lines through a boundary or end of one row and one of the next two rows
 * (leaning at most `MAX_LEAN` from upright or from the roll). A line is a break when it cuts at
 * least `MIN_CUT_ROWS` rows, crosses at least one of them (else it splits nothing), cuts
 * `MIN_CUT_SHARE` of the rows it meets, stands out from the lines beside it, and its evidence
 * against chance ({@link support}) clears a bar that rises with the number of lines tried. The best
 * win first and suppress candidates within `MIN_FIXTURE_WIDTH` products. Only rows of at least
 * `MIN_ROW` products count. O(R^2 c^2) for R rows of c boundaries each.
 */
export function findFixtureBreaks(b: Boxes, rows: readonly RowGroup[]): FixtureBreak[] {
  const rc = rows
    .filter((g) => g.members.length >= MIN_ROW)
    .map((g) => rowBoundaries(b, g))
    .sort((p, q) => lineY(p, (p.lo + p.hi) / 2) - lineY(q, (q.lo + q.hi) / 2));
  if (rc.length < MIN_CUT_ROWS) return [];
  const roll = medianInPlace(rc.map((r) => r.slope));
  const upright = (k: number) => Math.abs(k) <= MAX_LEAN || Math.abs(k + roll) <= MAX_LEAN;
  const anchors = rc.map(anchorPoints);
  const candidates: { x0: number; k: number; evidence: number; width: number }[] = [];
  // Lines tried, told apart at a quarter product and 0.01 of lean at mid height: nearby lines are
  // nearly the same test, and the bar below counts independent ones.
  const ym = lineY(rc[rc.length >> 1]!, (rc[rc.length >> 1]!.lo + rc[rc.length >> 1]!.hi) / 2);
  const grain = medianInPlace(rc.map((r) => r.width)) / 4;
  const tried = new Set<number>();
  for (let a = 0; a < rc.length; a++) {
    const A = rc[a]!;
    for (let c = a + 1; c < Math.min(rc.length, a + 3); c++) {
      const C = rc[c]!;
      for (const pa of anchors[a]!) {
        const ya = lineY(A, pa.x);
        for (const pc of anchors[c]!) {
          const yc = lineY(C, pc.x);
          if (yc - ya <= 0) continue;
          const k = (pc.x - pa.x) / (yc - ya);
          if (!upright(k)) continue;
          const x0 = pa.x - k * ya;
          tried.add(Math.round((x0 + k * ym) / grain) * 1000 + Math.round(k * 100));
          const s = support(rc, x0, k, [A, C]);
          if (
            s.cut < MIN_CUT_ROWS ||
            s.crossing < 1 ||
            s.cut < MIN_CUT_SHARE * s.met ||
            s.evidence < MIN_EVIDENCE
          )
            continue;
          // A break stands out from the lines beside it (beyond the anchor cut, a door frame's cut
          // is wide): in a grid of same-width products every boundary lines up.
          const width = Math.min(A.width, C.width);
          let beside = 0;
          for (const o of GRID_OFFSETS) {
            const dx = pa.half + o * width;
            beside = Math.max(
              beside,
              support(rc, x0 - dx, k, [A, C]).evidence,
              support(rc, x0 + dx, k, [A, C]).evidence,
            );
          }
          if (s.evidence >= beside + GRID_MARGIN) candidates.push({ x0, k, evidence: s.evidence, width });
        }
      }
    }
  }
  // Of `tried` lines at random, one reaches evidence E with a chance of at most tried * e^-E
  // (Bonferroni): the bar rises with the number of lines tried.
  const bar = MIN_EVIDENCE + Math.log(Math.max(1, tried.size));
  const strong = candidates.filter((c) => c.evidence >= bar);
  strong.sort((p, q) => q.evidence - p.evidence || p.x0 - q.x0 || p.k - q.k);
  const breaks: (FixtureBreak & { width: number })[] = [];
  for (const c of strong) {
    const x = c.x0 + c.k * ym;
    if (
      breaks.some((br) => Math.abs(br.x0 + br.k * ym - x) < MIN_FIXTURE_WIDTH * Math.max(br.width, c.width))
    )
      continue;
    breaks.push(c);
  }
  return breaks.map(({ x0, k }) => ({ x0, k }));
}

/**
 * Cuts rows at fixture breaks: each row's members go to the side of each break line their bottom
 * centre lies on, and each part gets its own line. O(n * B) for n boxes and B breaks.
 */
export function splitAtBreaks(
  b: Boxes,
  rows: readonly RowGroup[],
  breaks: readonly FixtureBreak[],
  priorFor: (idx: readonly number[]) => SlopePrior,
): RowGroup[] {
  if (breaks.length === 0) return rows.slice();
  const { x1, y1, x2, y2 } = b;
  const cx = Float64Array.from(x1, (v, i) => (v + x2[i]!) / 2);
  const h = Float64Array.from(y1, (v, i) => Math.max(1e-6, y2[i]! - v));
  const out: RowGroup[] = [];
  for (const g of rows) {
    const parts = new Map<number, number[]>();
    for (const i of g.members) {
      const side = sideOfBreaks(breaks, cx[i]!, y2[i]!);
      const p = parts.get(side);
      if (p === undefined) parts.set(side, [i]);
      else p.push(i);
    }
    if (parts.size === 1) {
      out.push(g);
      continue;
    }
    const base = new Set(g.base);
    for (const side of [...parts.keys()].sort((p, q) => p - q)) {
      const members = parts.get(side)!;
      const onShelf = members.filter((i) => base.has(i));
      const fit = onShelf.length > 0 ? onShelf : members;
      out.push({ members, base: fit, line: fitRowLine(cx, y2, h, fit, MAX_SLOPE, priorFor(fit)) });
    }
  }
  return out;
}

/** Number of break lines left of the point `(x, y)`: equal for points between the same breaks. */
export function sideOfBreaks(breaks: readonly FixtureBreak[], x: number, y: number): number {
  let side = 0;
  for (const br of breaks) if (x > br.x0 + br.k * y) side++;
  return side;
}
