// Empty stretches along a shelf row (internal to the shelf-row modules, not re-exported).
import type { Boxes } from './row-grouping.js';
import { lineY, medianInPlace, type RowLine } from './row-line.js';
import type { BoxXyxy } from './types.js';

/** Neighbours on each side of a stretch that set its scale. */
const SCALE_NEIGHBOURS = 3;

/**
 * The gaps of one row: stretches along its line not covered by any member (members sorted by left
 * edge, the right-most edge reached so far against the next left edge) that are wider than
 * `gapFactor` x the median width of the `SCALE_NEIGHBOURS` products on each side, so that a gap is
 * judged in the row's own local scale (products shrink towards the far end of a row seen at an
 * angle). The stretch is measured along x; along the line both the stretch and the widths grow by
 * the same sqrt(1 + slope^2), so the comparison is the same. A gap is reported as the box spanning the
 * line's two ends over the stretch up to the neighbours' median height above the line. The ends of a
 * row are never gaps (the shelf's extent is unknown). O(m log m) for m members.
 */
export function rowGaps(b: Boxes, members: readonly number[], line: RowLine, gapFactor: number): BoxXyxy[] {
  const { x1, y1, x2, y2 } = b;
  const m = members.slice().sort((p, q) => x1[p]! - x1[q]! || x2[p]! - x2[q]! || p - q);
  const gaps: BoxXyxy[] = [];
  let reach = x2[m[0]!]!;
  for (let k = 1; k < m.length; k++) {
    const i = m[k]!;
    const from = reach;
    reach = Math.max(reach, x2[i]!);
    if (x1[i]! <= from) continue;
    const near = m.slice(Math.max(0, k - SCALE_NEIGHBOURS), k + SCALE_NEIGHBOURS);
    const width = medianInPlace(near.map((j) => x2[j]! - x1[j]!));
    if (x1[i]! - from <= gapFactor * width) continue;
    const height = medianInPlace(near.map((j) => y2[j]! - y1[j]!));
    const ya = lineY(line, from);
    const yb = lineY(line, x1[i]!);
    gaps.push([from, Math.min(ya, yb) - height, x1[i]!, Math.max(ya, yb)]);
  }
  return gaps;
}
