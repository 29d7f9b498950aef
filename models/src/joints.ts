import type { BoxXyxy, FixtureBreak } from '@shelfwatch/shared';

/**
 * Bay joints of the labelled rows and how the row grouping's fixture breaks meet them: a direct
 * measure of the break finder, which the merged and split rates mix with everything else.
 */

/** Two labelled rows are side by side when they overlap vertically by this share of the shorter ... */
const SIDE_OVERLAP = 0.5;
/** ... and the first ends within this share of the photo's width of where the second starts. */
const JOINT_REACH = 0.05;
/** Joint points, and a break and a joint, this close along x (share of the photo's width) are one. */
const SAME_LINE = 0.04;

/** A labelled bay joint: where labelled rows side by side meet, over one or more shelves. */
export interface LabelledJoint {
  /** Mean x of its points. */
  x: number;
  /** Mean y of its points (the lower edge of each pair's shorter row). */
  y: number;
  /** Pairs of labelled rows meeting there. */
  pairs: number;
}

/** What {@link matchJoints} found on one photo. */
export interface JointMatch {
  joints: LabelledJoint[];
  /** Joints with a break within `SAME_LINE` of the width at their height. */
  found: number;
  /** Breaks near no labelled joint ... */
  elsewhere: number;
  /** ... and how many labelled rows those cut (more than `SAME_LINE` of the width inside both ends). */
  rowsCut: number;
}

const breakX = (b: FixtureBreak, y: number) => b.x0 + b.k * y;

/**
 * The labelled bay joints of one photo: each labelled row and its nearest right-hand neighbour side
 * by side (overlapping vertically by `SIDE_OVERLAP` of the shorter, meeting within `JOINT_REACH` of
 * the width) give a point, and points within `SAME_LINE` of the width along x are one joint.
 * O(L^2) for L labelled rows.
 */
export function labelledJoints(rows: readonly Readonly<BoxXyxy>[], width: number): LabelledJoint[] {
  const points: { x: number; y: number }[] = [];
  for (const a of rows) {
    let best: Readonly<BoxXyxy> | undefined;
    for (const b of rows) {
      if (b === a || b[0] <= a[0]) continue;
      const overlap = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
      if (overlap < SIDE_OVERLAP * Math.min(a[3] - a[1], b[3] - b[1])) continue;
      if (Math.abs(b[0] - a[2]) > JOINT_REACH * width) continue;
      if (best === undefined || b[0] < best[0]) best = b;
    }
    if (best !== undefined) points.push({ x: (a[2] + best[0]) / 2, y: Math.min(a[3], best[3]) });
  }
  points.sort((p, q) => p.x - q.x || p.y - q.y);
  const joints: (LabelledJoint & { sx: number; sy: number })[] = [];
  for (const p of points) {
    const last = joints[joints.length - 1];
    if (last !== undefined && p.x - last.x <= SAME_LINE * width) {
      last.pairs++;
      last.sx += p.x;
      last.sy += p.y;
      last.x = last.sx / last.pairs;
      last.y = last.sy / last.pairs;
    } else joints.push({ x: p.x, y: p.y, pairs: 1, sx: p.x, sy: p.y });
  }
  return joints.map(({ x, y, pairs }) => ({ x, y, pairs }));
}

/**
 * Matches the fixture breaks of one photo's rows to its labelled joints: a joint is found when a
 * break passes within `SAME_LINE` of the width of it at its height; a break near no joint cuts the
 * labelled rows whose bottom it crosses more than `SAME_LINE` of the width inside both of their ends.
 */
export function matchJoints(
  rows: readonly Readonly<BoxXyxy>[],
  breaks: readonly FixtureBreak[],
  width: number,
): JointMatch {
  const joints = labelledJoints(rows, width);
  const tol = SAME_LINE * width;
  const found = joints.filter((j) => breaks.some((b) => Math.abs(breakX(b, j.y) - j.x) <= tol)).length;
  let elsewhere = 0;
  let rowsCut = 0;
  for (const b of breaks) {
    if (joints.some((j) => Math.abs(breakX(b, j.y) - j.x) <= tol)) continue;
    elsewhere++;
    for (const r of rows) {
      const x = breakX(b, r[3]);
      if (x > r[0] + tol && x < r[2] - tol) rowsCut++;
    }
  }
  return { joints, found, elsewhere, rowsCut };
}
