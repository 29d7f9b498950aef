// Groups product boxes into shelf rows, each a robust line through its products' bottom edges
// (internal to the shelf-row modules, not re-exported; `shelf-rows.ts` is the public entry).
import { type FixtureBreak, findFixtureBreaks, sideOfBreaks, splitAtBreaks } from './fixture-breaks.js';
import { fitRowLine, lineY, MAX_SLOPE, medianInPlace, type RowLine, type SlopePrior } from './row-line.js';

/** Validated boxes as parallel coordinate arrays (`x2 >= x1`, `y2 >= y1`). */
export interface Boxes {
  x1: Float64Array;
  y1: Float64Array;
  x2: Float64Array;
  y2: Float64Array;
}

/** A row while grouping: its members and their baseline. */
export interface RowGroup {
  /** Indices of the boxes in the row. */
  members: number[];
  /** Members that stand on the shelf (the others are stacked on them); the line is fitted to these. */
  base: number[];
  line: RowLine;
}

/** Neighbours link when their bottoms differ by at most this x the shorter height (after tilt). */
const LINK_DY = 0.25;
/** ... and the empty stretch between them is at most this x their mean width. */
const LINK_GAP = 0.75;
/** Groups merge when the union's line stays within this x each member's height (median of each side). */
const MERGE_RESIDUAL = 0.15;
/** ... and the empty stretch between them is at most this x their median product width. */
const MERGE_GAP = 10;
/** The photo's tilt is the median slope of this many links at least (a few would be noise). */
const MIN_TILT_LINKS = 6;
/** The weight of the photo's tilt as a prior on each row's slope ({@link SlopePrior}), in product heights. */
const SLOPE_PRIOR = 1;
/** Chains this long (products) and this many product widths wide tell the perspective ({@link fitPerspective}). */
const PERSPECTIVE_CHAIN = 5;
const PERSPECTIVE_EXTENT = 4;
/** ... and at least this many of them, spread over this many product heights top to bottom. */
const PERSPECTIVE_CHAINS = 4;
const PERSPECTIVE_SPREAD = 3;
/** A group this many products wide has a slope of its own, which a merge must keep. */
const SLOPE_EXTENT = 3;
/** A box is stacked on another when its bottom is within this x the lower box's height of its top ... */
const STACK_DY = 0.12;
/** ... and the two overlap horizontally by this fraction of the wider one; */
const STACK_OVERLAP = 0.6;
/** a row is stacked when this share of its boxes are (a shelf above touching tall products is not). */
const STACK_SHARE = 0.75;
/** A row of boxes this many times smaller than a neighbouring row's ... */
const MINOR_RATIO = 2.2;
/** ... with its bottoms up to this x the neighbour's height above the neighbour's line ... */
const MINOR_ABOVE = 0.85;
/** ... or this far below it joins the neighbour. */
const MINOR_BELOW = 0.5;
/** A product-sized box left alone joins the nearest row whose line is within this x its own height ... */
const LONE_REACH = 1.5;
/** ... unless it floats over the row's products by more than this x its own height; */
const FLOAT_ABOVE = 0.35;
/** ... a box far from product-sized (area > 9x or < 1/9 the median: a price tag, the floor) within this x. */
const ODD_REACH = 3;
/** A box left alone with more than this share of its area inside another box is at that box's place: it joins its row. */
const NESTED_SHARE = 0.7;

/** Disjoint sets over `n` items (path halving, union by size). */
class UnionFind {
  readonly parent: Int32Array;
  readonly size: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.size = new Int32Array(n).fill(1);
  }
  find(i: number): number {
    const p = this.parent;
    while (p[i] !== i) {
      p[i] = p[p[i]!]!;
      i = p[i]!;
    }
    return i;
  }
  /** Joins the sets of `a` and `b`; returns the new root. */
  union(a: number, b: number): number {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return ra;
    if (this.size[ra]! < this.size[rb]!) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra]! += this.size[rb]!;
    return ra;
  }
}

/**
 * The photo's perspective as the slope of a shelf line at each point: shelves of one fixture are
 * parallel, so in the photo their lines meet at a vanishing point, and the slope of the line through
 * `(x, y)` is `(a + k y) / (1 + k (x - xc))`, where `a + k yc` is the slope of the line through
 * `(xc, yc)`: slopes linear in the height at the photo's middle `xc`. `k = 0` is one tilt for all rows
 * (a rolled phone, no perspective).
 */
interface Perspective {
  a: number;
  k: number;
  xc: number;
}

/** The slope of the shelf line through `(x, y)`, clamped to `+-MAX_SLOPE`. */
function slopeAt(p: Perspective, x: number, y: number): number {
  // Near and beyond the vanishing point the formula turns over: there the lines are steep.
  const s = (p.a + p.k * y) / Math.max(0.25, 1 + p.k * (x - p.xc));
  return Math.max(-MAX_SLOPE, Math.min(MAX_SLOPE, s));
}

/**
 * Fits the perspective to the long chains (each one shelf's products, with a reliable slope of its
 * own): Theil-Sen of the chains' slopes against their heights at the middle `xc` (median of the
 * pairwise slopes, so a quarter of wrong chains move nothing). Too few chains, or chains within a
 * few product heights of each other, fix no `k`: then it is 0 and `a` the tilt.
 * O(C^2 log C) for C long chains.
 */
function fitPerspective(
  chains: readonly { slope: number; y: number }[],
  tilt: number,
  xc: number,
  height: number,
): Perspective {
  if (chains.length < PERSPECTIVE_CHAINS) return { a: tilt, k: 0, xc };
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const c of chains) {
    lo = Math.min(lo, c.y);
    hi = Math.max(hi, c.y);
  }
  if (hi - lo < PERSPECTIVE_SPREAD * height) return { a: tilt, k: 0, xc };
  const ks: number[] = [];
  for (let i = 0; i < chains.length; i++) {
    for (let j = i + 1; j < chains.length; j++) {
      const dy = chains[j]!.y - chains[i]!.y;
      if (Math.abs(dy) >= height) ks.push((chains[j]!.slope - chains[i]!.slope) / dy);
    }
  }
  if (ks.length < PERSPECTIVE_CHAINS) return { a: tilt, k: 0, xc };
  const k = medianInPlace(ks);
  const a = medianInPlace(chains.map((c) => c.slope - k * c.y));
  return { a, k, xc };
}

/**
 * Links each box to its right-hand neighbour on the same shelf: a box whose bottom edge continues
 * the box's own (within `LINK_DY` of the shorter height, after the drift `slope * dx` expected from
 * the perspective at the box),
 * a little to the right (overlapping by at most half the narrower width, an empty stretch of at most
 * `LINK_GAP` widths). Each box keeps its best candidate to the right and to the left (cost: bottom
 * mismatch in heights plus half the stretch in widths); mutual best pairs are linked, so chains run
 * along shelves and never fork. O(n log n + n k), k = boxes within reach of a box.
 * @returns `next[i]`, the right neighbour of box i, or -1
 */
function linkNeighbours(b: Boxes, byX1: Int32Array, view: Perspective, usable: Uint8Array): Int32Array {
  const { x1, y1, x2, y2 } = b;
  const n = x1.length;
  const bestRight = new Int32Array(n).fill(-1);
  const costRight = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const bestLeft = new Int32Array(n).fill(-1);
  const costLeft = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const sortedX1 = Float64Array.from(byX1, (i) => x1[i]!);
  for (let i = 0; i < n; i++) {
    if (!usable[i]) continue;
    const wi = x2[i]! - x1[i]!;
    const hi = y2[i]! - y1[i]!;
    const cxi = (x1[i]! + x2[i]!) / 2;
    const slope = slopeAt(view, cxi, y2[i]!);
    // Candidates start at x1 >= x1[i] (a box further left that lies to the right would overlap i by
    // more than half) and end where the stretch exceeds LINK_GAP of i's width.
    let lo = 0;
    let hiIdx = n;
    while (lo < hiIdx) {
      const mid = (lo + hiIdx) >> 1;
      if (sortedX1[mid]! < x1[i]!) lo = mid + 1;
      else hiIdx = mid;
    }
    for (let k = lo; k < n; k++) {
      const j = byX1[k]!;
      if (x1[j]! > x2[i]! + LINK_GAP * 2 * wi) break;
      if (j === i || !usable[j]) continue;
      const wj = x2[j]! - x1[j]!;
      const hj = y2[j]! - y1[j]!;
      const dx = (x1[j]! + x2[j]!) / 2 - cxi;
      if (dx <= 0) continue;
      const overlapX = Math.min(x2[i]!, x2[j]!) - Math.max(x1[i]!, x1[j]!);
      if (overlapX > 0.5 * Math.min(wi, wj)) continue;
      const meanW = (wi + wj) / 2;
      const stretch = Math.max(0, -overlapX);
      if (stretch > LINK_GAP * meanW) continue;
      const minH = Math.min(hi, hj);
      const dy = Math.abs(y2[j]! - y2[i]! - slope * dx) / minH;
      if (dy > LINK_DY) continue;
      const cost = dy + (0.5 * stretch) / meanW;
      if (cost < costRight[i]! || (cost === costRight[i]! && j < bestRight[i]!)) {
        costRight[i] = cost;
        bestRight[i] = j;
      }
      if (cost < costLeft[j]! || (cost === costLeft[j]! && i < bestLeft[j]!)) {
        costLeft[j] = cost;
        bestLeft[j] = i;
      }
    }
  }
  const next = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const j = bestRight[i]!;
    if (j >= 0 && bestLeft[j] === i) next[i] = j;
  }
  return next;
}

/** Number of links. */
function links(next: Int32Array): number {
  let n = 0;
  for (const j of next) if (j >= 0) n++;
  return n;
}

/** Median slope of linked neighbours' bottom edges (0 with fewer than `MIN_TILT_LINKS` links). */
function linkSlope(b: Boxes, next: Int32Array): number {
  const slopes: number[] = [];
  for (let i = 0; i < next.length; i++) {
    const j = next[i]!;
    if (j < 0) continue;
    const dx = (b.x1[j]! + b.x2[j]! - b.x1[i]! - b.x2[i]!) / 2;
    slopes.push((b.y2[j]! - b.y2[i]!) / dx);
  }
  if (slopes.length < MIN_TILT_LINKS) return 0;
  return Math.max(-MAX_SLOPE, Math.min(MAX_SLOPE, medianInPlace(slopes)));
}

/**
 * Groups boxes into rows:
 * 1. chains of neighbours along each shelf ({@link linkNeighbours}), linked once level, once along
 *    the photo's median tilt (a rolled phone) and, where its long chains tell one, once along the
 *    perspective ({@link fitPerspective}: slopes that change with the height, rows converging
 *    towards a vanishing point in a photo taken along the aisle);
 * 2. chains (and lone boxes) merge, nearest first, while one robust line ({@link fitRowLine}) still
 *    runs through both within `MERGE_RESIDUAL` of their heights and the empty stretch between them is
 *    at most `MERGE_GAP` product widths: rows broken by missing products or a straddling box join
 *    again, rows of different shelves never do, and each row keeps its own slope (short rows take
 *    the perspective's slope where they stand);
 * 3. rows whose products sit on top of another row's products (touching, aligned, about as wide)
 *    join that row as stacked members, and so do rows of much smaller boxes within a row's shelf
 *    (caps and labels of its bottles, price tags on its edge); the line stays on the products below,
 *    and moves onto the small boxes where the row's products stand on them (bottles boxed in two);
 * 4. rows are cut at the breaks between fixtures side by side ({@link findFixtureBreaks});
 * 5. boxes still alone join the row whose band (its line up to its members' median height) holds
 *    their centre, else the row whose line is nearest their bottom within `LONE_REACH` of their
 *    height (`ODD_REACH` for boxes unlike a product), on their side of every break, unless they
 *    float over the row's products (bottom above their tops by `FLOAT_ABOVE` of their height:
 *    not stacked on them). The reach is short on purpose: the last product on an emptied shelf
 *    stays a row of its own. A box still alone that lies mostly inside another box joins that box's
 *    row ({@link joinNested}).
 * O(n log n + n k + G^2 (1 + m) + S n) for n boxes, k boxes within reach of one box, G chains, m boxes
 * per row and S boxes left alone; dense real photos have G well under n (see the benchmark for 1,000 boxes).
 */
export function groupRows(b: Boxes): { rows: RowGroup[]; breaks: FixtureBreak[] } {
  const { x1, y1, x2, y2 } = b;
  const n = x1.length;
  if (n === 0) return { rows: [], breaks: [] };
  const cx = new Float64Array(n);
  const h = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    cx[i] = (x1[i]! + x2[i]!) / 2;
    h[i] = Math.max(1e-6, y2[i]! - y1[i]!);
    w[i] = Math.max(1e-6, x2[i]! - x1[i]!);
  }
  const byX1 = Int32Array.from({ length: n }, (_, i) => i).sort(
    (a, c) => x1[a]! - x1[c]! || x2[a]! - x2[c]! || y2[a]! - y2[c]! || y1[a]! - y1[c]! || a - c,
  );
  // Boxes far larger than the photo's typical product (a detection spanning shelves, the floor) do
  // not found chains; they join a row at the end like any lone box.
  const areas = Float64Array.from({ length: n }, (_, i) => w[i]! * h[i]!);
  const typicalArea = medianInPlace(areas.slice());
  const usable = Uint8Array.from({ length: n }, (_, i) => (areas[i]! <= 9 * typicalArea ? 1 : 0));
  const odd = (i: number) => areas[i]! > 9 * typicalArea || areas[i]! < typicalArea / 9;
  let left = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    left = Math.min(left, x1[i]!);
    right = Math.max(right, x2[i]!);
  }
  const xc = (left + right) / 2;
  let next = linkNeighbours(b, byX1, { a: 0, k: 0, xc }, usable);
  const tilt = linkSlope(b, next);
  let view: Perspective = { a: tilt, k: 0, xc };
  if (tilt !== 0) next = linkNeighbours(b, byX1, view, usable);
  // The perspective from the long chains along that tilt, then the links again along it.
  const chainsOf = (links: Int32Array) => {
    const uf = new UnionFind(n);
    for (let i = 0; i < n; i++) if (links[i]! >= 0) uf.union(i, links[i]!);
    const out = new Map<number, number[]>();
    for (const i of byX1) {
      const r = uf.find(i);
      const g = out.get(r);
      if (g === undefined) out.set(r, [i]);
      else g.push(i);
    }
    return { uf, groups: out };
  };
  const extent = (idx: readonly number[]) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const i of idx) {
      lo = Math.min(lo, x1[i]!);
      hi = Math.max(hi, x2[i]!);
    }
    return [lo, hi] as const;
  };
  const medianOf = (idx: readonly number[], v: Float64Array) =>
    medianInPlace(Float64Array.from(idx, (i) => v[i]!));
  // Each long chain's slope and height at the middle, for the perspective.
  const long = [...chainsOf(next).groups.values()]
    .filter((idx) => {
      if (idx.length < PERSPECTIVE_CHAIN) return false;
      const [lo, hi] = extent(idx);
      return hi - lo >= PERSPECTIVE_EXTENT * medianOf(idx, w);
    })
    .map((idx) => {
      const line = fitRowLine(cx, y2, h, idx, MAX_SLOPE);
      return { slope: line.slope, y: lineY(line, xc) };
    });
  const fitted = fitPerspective(long, tilt, xc, medianInPlace(h.slice()));
  if (fitted.k !== 0) {
    view = fitted;
    next = linkNeighbours(b, byX1, view, usable);
  }
  // Short rows take the perspective's slope where they stand unless their products say otherwise.
  // With few links it is worth less.
  const weight = SLOPE_PRIOR * Math.min(1, links(next) / MIN_TILT_LINKS);
  const priorFor = (idx: readonly number[]): SlopePrior => ({
    slope: slopeAt(view, medianOf(idx, cx), medianOf(idx, y2)),
    weight,
  });

  // 1. Chains as the first groups.
  const { uf, groups } = chainsOf(next);

  // 2. Merge groups nearest first while one line fits both.
  const lines = new Map<number, RowLine>();
  const lineOf = (root: number): RowLine => {
    let l = lines.get(root);
    if (l === undefined) {
      l = fitRowLine(cx, y2, h, groups.get(root)!, MAX_SLOPE, priorFor(groups.get(root)!));
      lines.set(root, l);
    }
    return l;
  };
  const medianResidual = (idx: readonly number[], line: RowLine): number =>
    medianInPlace(Float64Array.from(idx, (i) => Math.abs(y2[i]! - lineY(line, cx[i]!)) / h[i]!));
  // Median width and height of a group, by root (a merge makes a new root).
  const sizes = new Map<number, { width: number; height: number }>();
  const sizeOf = (root: number) => {
    let s = sizes.get(root);
    if (s === undefined) {
      const idx = groups.get(root)!;
      s = { width: medianOf(idx, w), height: medianOf(idx, h) };
      sizes.set(root, s);
    }
    return s;
  };
  // A group fits a line when its members' bottoms lie on it and, for a group long enough to have a
  // slope of its own, the line stays near the group's own line over the group's extent.
  const fits = (idx: readonly number[], root: number, line: RowLine): boolean => {
    if (medianResidual(idx, line) > MERGE_RESIDUAL) return false;
    if (idx.length < 3) return true;
    const [lo, hi] = extent(idx);
    const { width, height } = sizeOf(root);
    if (hi - lo < SLOPE_EXTENT * width) return true;
    const own = lineOf(root);
    const tol = MERGE_RESIDUAL * height;
    return (
      Math.abs(lineY(line, lo) - lineY(own, lo)) <= tol && Math.abs(lineY(line, hi) - lineY(own, hi)) <= tol
    );
  };
  for (let pass = 0; pass < 3; pass++) {
    const roots = [...groups.keys()].sort((a, c) => a - c);
    const info = roots.map((r) => {
      const idx = groups.get(r)!;
      const [lo, hi] = extent(idx);
      return { root: r, lo, hi, ...sizeOf(r), idx };
    });
    // Candidate pairs: close enough along x, and the bottoms roughly at the same height there.
    const pairs: { a: number; c: number; stretch: number }[] = [];
    for (let p = 0; p < info.length; p++) {
      const A = info[p]!;
      const la = lineOf(A.root);
      for (let q = p + 1; q < info.length; q++) {
        const C = info[q]!;
        const scale = Math.min(A.width, C.width);
        const stretch = Math.max(A.lo, C.lo) - Math.min(A.hi, C.hi);
        if (stretch > MERGE_GAP * scale) continue;
        const lc = lineOf(C.root);
        const xm = (Math.max(A.lo, C.lo) + Math.min(A.hi, C.hi)) / 2;
        if (Math.abs(lineY(la, xm) - lineY(lc, xm)) > Math.max(A.height, C.height)) continue;
        pairs.push({ a: A.root, c: C.root, stretch: stretch / scale });
      }
    }
    pairs.sort((p, q) => p.stretch - q.stretch || p.a - q.a || p.c - q.c);
    let merged = 0;
    for (const { a, c } of pairs) {
      const ra = uf.find(a);
      const rc = uf.find(c);
      if (ra === rc) continue;
      const A = groups.get(ra)!;
      const C = groups.get(rc)!;
      const union = A.concat(C);
      const line = fitRowLine(cx, y2, h, union, MAX_SLOPE, priorFor(union));
      if (!fits(A, ra, line) || !fits(C, rc, line)) continue;
      const root = uf.union(ra, rc);
      groups.delete(ra);
      groups.delete(rc);
      lines.delete(ra);
      lines.delete(rc);
      sizes.delete(ra);
      sizes.delete(rc);
      groups.set(root, union);
      lines.set(root, line);
      merged++;
    }
    if (merged === 0) break;
  }

  let rows: RowGroup[] = [...groups.keys()]
    .sort((a, c) => a - c)
    .map((r) => ({ members: groups.get(r)!, base: groups.get(r)!.slice(), line: lineOf(r) }));

  // 3. Stacks: a row standing on another row's products joins it; so do rows of much smaller boxes
  // within a row's shelf (caps, labels and fragments of its products, price tags on its shelf edge).
  rows = joinStacks(b, rows);
  rows = joinMinorRows(b, rows, (base) => fitRowLine(cx, y2, h, base, MAX_SLOPE, priorFor(base)));

  // 4. Fixtures side by side: cut rows at the breaks between them.
  let lone = rows.filter((r) => r.members.length === 1).map((r) => r.members[0]!);
  rows = rows.filter((r) => r.members.length > 1);
  const breaks = findFixtureBreaks(b, rows);
  rows = splitAtBreaks(b, rows, breaks, priorFor);
  lone = lone.concat(rows.filter((r) => r.members.length === 1).map((r) => r.members[0]!));
  rows = rows.filter((r) => r.members.length > 1);
  const sideOf = (i: number, x: number) => sideOfBreaks(breaks, x, y2[i]!);

  // 5. Lone boxes join a row on their side of every break.
  const single = (i: number): RowGroup => {
    const slope = slopeAt(view, cx[i]!, y2[i]!);
    return { members: [i], base: [i], line: { slope, intercept: y2[i]! - slope * cx[i]! } };
  };
  if (rows.length === 0) return { rows: lone.map(single), breaks };
  const bands = rows.map((r) => {
    const [lo, hi] = extent(r.members);
    return { height: medianOf(r.base, h), lo, hi, side: sideOf(r.base[0]!, cx[r.base[0]!]!) };
  });
  // A box floating above a row's products (its bottom over their tops by more than a third of its
  // height) is not stacked on them: the last product on the shelf above stays its own row.
  const floatsOver = (i: number, k: number): boolean =>
    y2[i]! < lineY(rows[k]!.line, cx[i]!) - bands[k]!.height - FLOAT_ABOVE * h[i]!;
  const alone: RowGroup[] = [];
  for (const i of lone) {
    let best = -1;
    let bestDist = Number.POSITIVE_INFINITY;
    let inBand = false;
    const cy = (y1[i]! + y2[i]!) / 2;
    rows.forEach((r, k) => {
      const band = bands[k]!;
      // Only rows on the box's side of every break that reach within a product height of it along x.
      if (cx[i]! < band.lo - band.height || cx[i]! > band.hi + band.height) return;
      if (band.side !== sideOf(i, cx[i]!)) return;
      const base = lineY(r.line, cx[i]!);
      const holds = cy <= base && cy >= base - band.height;
      const dist = Math.abs(y2[i]! - base);
      if ((holds && !inBand) || (holds === inBand && dist < bestDist)) {
        best = k;
        bestDist = dist;
        inBand = holds;
      }
    });
    const reach = (odd(i) ? ODD_REACH : LONE_REACH) * h[i]!;
    if (best >= 0 && (inBand || (bestDist <= reach && !floatsOver(i, best)))) rows[best]!.members.push(i);
    else alone.push(single(i));
  }
  return { rows: joinNested(b, rows.concat(alone), rows.length), breaks };
}

/**
 * Boxes still alone (the rows from `firstSingle` on, one member each) that lie more than
 * `NESTED_SHARE` of their area inside another box (a fragment of a product, or a second box the
 * detector put on it) join the row of the box holding the largest share of them: two boxes on one
 * spot are not two shelves. Larger boxes go first, so a box inside a lone box that itself lies
 * inside a row's box ends in that row. O(S n) for S boxes alone among n.
 */
function joinNested(b: Boxes, rows: RowGroup[], firstSingle: number): RowGroup[] {
  const { x1, y1, x2, y2 } = b;
  const n = x1.length;
  const area = (i: number) => (x2[i]! - x1[i]!) * (y2[i]! - y1[i]!);
  const rowOf = new Int32Array(n);
  rows.forEach((r, k) => {
    for (const i of r.members) rowOf[i] = k;
  });
  const singles = rows
    .slice(firstSingle)
    .map((r) => r.members[0]!)
    .sort((p, q) => area(q) - area(p) || p - q);
  const moved = new Uint8Array(rows.length);
  for (const i of singles) {
    const own = area(i);
    if (own <= 0) continue;
    let host = -1;
    let share = NESTED_SHARE;
    for (let j = 0; j < n; j++) {
      if (j === i || area(j) < own) continue;
      const w = Math.min(x2[i]!, x2[j]!) - Math.max(x1[i]!, x1[j]!);
      const h = Math.min(y2[i]!, y2[j]!) - Math.max(y1[i]!, y1[j]!);
      if (w <= 0 || h <= 0 || (w * h) / own <= share) continue;
      host = j;
      share = (w * h) / own;
    }
    if (host < 0) continue;
    const k = rowOf[i]!;
    const t = rowOf[host]!;
    rows[t]!.members.push(i);
    rowOf[i] = t;
    moved[k] = 1;
  }
  return rows.filter((_, k) => !moved[k]);
}

/** Box `u` stands on box `l`: they overlap by `STACK_OVERLAP` of the wider, and `l`'s top is within `STACK_DY` of its height from `u`'s bottom. */
function standsOn(b: Boxes, u: number, l: number): boolean {
  const { x1, y1, x2, y2 } = b;
  const ov = Math.min(x2[u]!, x2[l]!) - Math.max(x1[u]!, x1[l]!);
  if (ov < STACK_OVERLAP * Math.max(x2[u]! - x1[u]!, x2[l]! - x1[l]!)) return false;
  return Math.abs(y1[l]! - y2[u]!) <= STACK_DY * (y2[l]! - y1[l]!);
}

/**
 * Moves rows of boxes much smaller than a neighbouring row's (median height at most
 * `1 / MINOR_RATIO` of it) into that row when they lie within its shelf: their bottoms between
 * `MINOR_ABOVE` of its height above its line (caps and labels of its bottles, fragments) and
 * `MINOR_BELOW` below it (price tags on its shelf edge), over its extent. The biggest rows absorb
 * first. Where the small boxes are what the row's boxes stand on (the lower halves of bottles the
 * detector cut in two), they become the row's base and its line is fitted again (`fit`) on them,
 * instead of on the upper halves' bottoms, which leaves the line sloping through the bottles.
 * O(G^2 m + m^2) for G rows of m members.
 */
function joinMinorRows(b: Boxes, rows: RowGroup[], fit: (base: readonly number[]) => RowLine): RowGroup[] {
  const { x1, y1, x2, y2 } = b;
  const info = rows.map((r) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const i of r.members) {
      lo = Math.min(lo, x1[i]!);
      hi = Math.max(hi, x2[i]!);
    }
    return { lo, hi, height: medianInPlace(r.base.map((i) => y2[i]! - y1[i]!)) };
  });
  const order = rows.map((_, k) => k).sort((p, q) => info[q]!.height - info[p]!.height || p - q);
  const absorbed = new Uint8Array(rows.length);
  for (const u of order.slice().reverse()) {
    const U = rows[u]!;
    const iu = info[u]!;
    let best = -1;
    let bestD = Number.POSITIVE_INFINITY;
    for (const l of order) {
      const il = info[l]!;
      if (l === u || absorbed[l] || il.height < MINOR_RATIO * iu.height) continue;
      if (Math.min(iu.hi, il.hi) - Math.max(iu.lo, il.lo) < 0.6 * (iu.hi - iu.lo)) continue;
      const L = rows[l]!;
      const d = medianInPlace(
        U.members.map((i) => (y2[i]! - lineY(L.line, (x1[i]! + x2[i]!) / 2)) / il.height),
      );
      if (d < -MINOR_ABOVE || d > MINOR_BELOW || Math.abs(d) >= bestD) continue;
      best = l;
      bestD = Math.abs(d);
    }
    if (best < 0) continue;
    const L = rows[best]!;
    L.members.push(...U.members);
    absorbed[u] = 1;
    // The base: the members that stand on no other member of the row.
    let under = false;
    for (const l of L.base) for (const i of U.members) under ||= standsOn(b, l, i);
    if (!under) continue;
    L.base = L.members.filter((i) => !L.members.some((o) => o !== i && standsOn(b, i, o)));
    L.line = fit(L.base);
  }
  return rows.filter((_, k) => !absorbed[k]);
}

/**
 * Moves rows that stand on another row's products into that row: a member is supported when a member
 * of the lower row lies under it (overlapping horizontally by `STACK_OVERLAP` of the wider one) with
 * its top within `STACK_DY` of that member's height from the supported bottom; a row with at least
 * `STACK_SHARE` of its members supported is stacked. Rows are taken bottom first, so a row stacked on a stack
 * finds its supports already in the row below. O(G^2 + P m log m) for G rows, P pairs of rows that
 * overlap horizontally, m members.
 */
function joinStacks(b: Boxes, rows: RowGroup[]): RowGroup[] {
  const { x1, x2 } = b;
  const info = rows.map((r) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const i of r.members) {
      lo = Math.min(lo, x1[i]!);
      hi = Math.max(hi, x2[i]!);
    }
    return { lo, hi, base: lineY(r.line, (lo + hi) / 2) };
  });
  // A row's members sorted by left edge, for the supports under one box.
  const sorted = rows.map((r) => r.members.slice().sort((p, q) => x1[p]! - x1[q]! || p - q));
  const supported = (u: number, below: readonly number[]): boolean => {
    // Supports overlap u by STACK_OVERLAP of the wider box, so they start within u's extent.
    let lo = 0;
    let hi = below.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x1[below[mid]!]! < x1[u]! - (x2[u]! - x1[u]!)) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < below.length && x1[below[k]!]! < x2[u]!; k++)
      if (standsOn(b, u, below[k]!)) return true;
    return false;
  };
  const order = rows.map((_, k) => k).sort((p, q) => info[q]!.base - info[p]!.base || p - q);
  const into = Int32Array.from(rows, (_, k) => k); // the row each row moved into
  for (const u of order) {
    const U = rows[u]!;
    const iu = info[u]!;
    if (U.members.length < 2) continue;
    for (const l of order) {
      const il = info[l]!;
      if (il.base <= iu.base) break; // only rows below u
      if (into[l] !== l || rows[l]!.members.length < 2) continue;
      if (Math.min(iu.hi, il.hi) - Math.max(iu.lo, il.lo) <= 0) continue;
      let n = 0;
      for (const i of U.members) if (supported(i, sorted[l]!)) n++;
      if (n < STACK_SHARE * U.members.length) continue;
      rows[l]!.members.push(...U.members);
      sorted[l] = rows[l]!.members.slice().sort((p, q) => x1[p]! - x1[q]! || p - q);
      into[u] = l;
      break;
    }
  }
  return rows.filter((_, k) => into[k] === k);
}
