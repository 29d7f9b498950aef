import type { BoxXyxy } from '@shelfwatch/shared';
import { describe, expect, it } from 'vitest';
import { labelledJoints, matchJoints } from '../src/joints.js';

// A photo 1,000 px wide: three shelves of two bays meeting at x = 500 (the labeller's boxes leave a
// few pixels between them), and a top shelf whose left bay is missing.
const rows: BoxXyxy[] = [
  [20, 100, 497, 200],
  [503, 110, 980, 205],
  [20, 300, 495, 400],
  [505, 300, 980, 400],
  [20, 500, 498, 600],
  [502, 490, 980, 600],
  [505, 0, 980, 80],
];

describe('labelled bay joints', () => {
  it('are where labelled rows side by side meet, one joint per line of meeting points', () => {
    const joints = labelledJoints(rows, 1000);
    expect(joints).toHaveLength(1);
    expect(joints[0]!.pairs).toBe(3);
    expect(joints[0]!.x).toBeCloseTo(500, 0);
    // Rows one above the other, or far apart along the shelf, meet nowhere.
    expect(
      labelledJoints(
        [
          [0, 0, 400, 100],
          [0, 120, 400, 220],
          [600, 0, 1000, 100],
        ],
        1000,
      ),
    ).toEqual([]);
  });

  it('are found by a break through them; a break elsewhere counts the labelled rows it cuts', () => {
    expect(matchJoints(rows, [{ x0: 520, k: -0.02 }], 1000)).toMatchObject({
      found: 1,
      elsewhere: 0,
      rowsCut: 0,
    });
    // A break at x = 700 finds no joint and cuts the four right-hand rows.
    expect(matchJoints(rows, [{ x0: 700, k: 0 }], 1000)).toMatchObject({
      found: 0,
      elsewhere: 1,
      rowsCut: 4,
    });
    expect(matchJoints(rows, [], 1000)).toMatchObject({ found: 0, elsewhere: 0, rowsCut: 0 });
  });
});
