import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeShelf, analyzeShelfWithMembers, type BoxXyxy } from '../src/index.js';

const det = (box: BoxXyxy) => ({ box, score: 0.9, label: 'product' });

/** A shelf row of products `width` wide at the given left edges, resting on `bottom`, heights from `heights`. */
function row(lefts: number[], width: number, bottom: number, heights: number[]): BoxXyxy[] {
  return lefts.map((x, i) => [x, bottom - heights[i % heights.length]!, x + width, bottom]);
}

describe('analyzeShelf', () => {
  it('returns no rows for no detections and one row for one box', () => {
    expect(analyzeShelf([])).toEqual({ rows: [] });
    expect(analyzeShelf([det([1, 2, 3, 4])])).toEqual({ rows: [{ box: [1, 2, 3, 4], count: 1, gaps: [] }] });
  });

  it('groups three shelves top to bottom and finds a gap wider than the median product', () => {
    const top = row([0, 55, 110, 165, 220], 50, 100, [100, 90, 95]);
    // Middle shelf: products at 0, 55, 110 then 260, 315 -> empty stretch 160..260 (100 px > 50 px median width).
    const middle = row([0, 55, 110, 260, 315], 50, 220, [100, 92]);
    const bottom = row([0, 52, 104, 156], 50, 340, [100]);
    const shuffled = [...bottom, ...top, ...middle].reverse().map(det);
    const { rows } = analyzeShelf(shuffled);
    expect(rows.map((r) => r.count)).toEqual([5, 5, 4]);
    expect(rows[0]!.box).toEqual([0, 0, 270, 100]);
    expect(rows[0]!.gaps).toEqual([]);
    // Band of the middle row: median top of [120,128,120,128,120] = 120, median bottom 220.
    expect(rows[1]!.gaps).toEqual([[160, 120, 260, 220]]);
    expect(rows[2]!.gaps).toEqual([]); // 2 px spacing is not a gap
  });

  it('tells which row each detection belongs to', () => {
    const boxes = [...row([0, 55], 50, 220, [100]), ...row([0, 55, 110], 50, 100, [100])].map(det);
    const { analysis, rowOf } = analyzeShelfWithMembers(boxes);
    expect(analysis).toEqual(analyzeShelf(boxes));
    expect(Array.from(rowOf)).toEqual([1, 1, 0, 0, 0]);
  });

  it('honours gapFactor', () => {
    const boxes = row([0, 55, 110, 200], 50, 100, [100]).map(det); // one 40 px stretch
    expect(analyzeShelf(boxes).rows[0]!.gaps).toEqual([]);
    expect(analyzeShelf(boxes, { gapFactor: 0.5 }).rows[0]!.gaps).toEqual([[160, 0, 200, 100]]);
  });

  it('does not merge neighbouring shelves through one tall box', () => {
    const top = row([0, 55, 110, 165], 50, 100, [100, 95]);
    const bottom = row([0, 55, 110, 165], 50, 215, [100, 95]);
    const tall: BoxXyxy = [230, 5, 280, 215]; // e.g. a false detection spanning both shelves
    const { rows } = analyzeShelf([...top, tall, ...bottom].map(det));
    expect(rows.length).toBe(2);
    expect(rows.reduce((s, r) => s + r.count, 0)).toBe(9);
    // The tall box joins the row it overlaps best (the bottom one, ratio 1.0 vs 0.97).
    expect(rows[1]!.count).toBe(5);
    expect(rows[0]!.box[1]).toBe(0);
    expect(rows[1]!.box[3]).toBe(215);
  });

  it('keeps tall bottles and short cans standing on the same shelf in one row', () => {
    const bottles = row([0, 45, 90], 40, 300, [160, 150]);
    const cans = row([140, 175, 210, 245], 30, 300, [60, 58]);
    const above = row([0, 45, 90, 135], 40, 125, [110]);
    const { rows } = analyzeShelf([...cans, ...above, ...bottles].map(det));
    expect(rows.map((r) => r.count)).toEqual([4, 7]);
    expect(rows[1]!.gaps).toEqual([]);
  });

  it('keeps rows together on a photo taken with the phone rolled by 8 degrees', () => {
    // 3 shelves of 12 products (50x100, 5 px apart, one missing in the middle row), rotated about the
    // origin: across a 655 px row the bottom edge drifts by 655 * tan(8deg) = 92 px, nearly a product
    // height, so horizontal bands alone would split each row.
    const t = (8 * Math.PI) / 180;
    const rot = ([x1, y1, x2, y2]: BoxXyxy): BoxXyxy => {
      const cx = (x1 + x2) / 2;
      const cy = (y1 + y2) / 2;
      const rx = cx * Math.cos(t) - cy * Math.sin(t);
      const ry = cx * Math.sin(t) + cy * Math.cos(t);
      return [rx - (x2 - x1) / 2, ry - (y2 - y1) / 2, rx + (x2 - x1) / 2, ry + (y2 - y1) / 2];
    };
    const lefts = Array.from({ length: 12 }, (_, i) => i * 55);
    const boxes = [
      ...row(lefts, 50, 100, [100]),
      ...row(
        lefts.filter((_, i) => i !== 5 && i !== 6),
        50,
        220,
        [100],
      ),
      ...row(lefts, 50, 340, [100]),
    ].map(rot);
    const { rows } = analyzeShelf(boxes.map(det));
    expect(rows.map((r) => r.count)).toEqual([12, 10, 12]);
    expect(rows[1]!.gaps.length).toBe(1);
    const [gx1, gy1, gx2, gy2] = rows[1]!.gaps[0]!;
    // The gap sits where products 5 and 6 were (rotated), i.e. around their centres.
    const missing = rot([5 * 55, 120, 6 * 55 + 50, 220]);
    expect((gx1 + gx2) / 2).toBeCloseTo((missing[0] + missing[2]) / 2, 0);
    expect((gy1 + gy2) / 2).toBeCloseTo((missing[1] + missing[3]) / 2, 0);
  });

  it('recovers every shelf of random dense layouts with mixed heights and a slight roll (property)', () => {
    const product = fc.record({
      w: fc.integer({ min: 30, max: 60 }),
      h: fc.integer({ min: 45, max: 110 }),
      space: fc.integer({ min: 1, max: 8 }),
      sink: fc.integer({ min: -4, max: 4 }),
      present: fc.integer({ min: 0, max: 9 }).map((v) => v > 0),
    });
    const shelves = fc.array(fc.array(product, { minLength: 4, maxLength: 25 }), {
      minLength: 1,
      maxLength: 5,
    });
    fc.assert(
      fc.property(shelves, fc.integer({ min: -5, max: 5 }), (layout, deg) => {
        const t = (deg * Math.PI) / 180;
        const boxes: BoxXyxy[] = [];
        const expected: number[] = [];
        layout.forEach((items, r) => {
          const floor = 130 * (r + 1); // shelf pitch 130 px, products at most 114 px tall
          let x = 0;
          let count = 0;
          for (const p of items) {
            if (p.present) {
              const cx = x + p.w / 2;
              const cy = floor + p.sink - p.h / 2;
              const rx = cx * Math.cos(t) - cy * Math.sin(t);
              const ry = cx * Math.sin(t) + cy * Math.cos(t);
              boxes.push([rx - p.w / 2, ry - p.h / 2, rx + p.w / 2, ry + p.h / 2]);
              count++;
            }
            x += p.w + p.space;
          }
          if (count > 0) expected.push(count);
        });
        expect(analyzeShelf(boxes.map(det)).rows.map((r) => r.count)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the input order (property)', () => {
    const boxes = [
      ...row([0, 55, 110, 300], 50, 100, [100, 80, 90]),
      ...row([10, 70, 130, 190], 50, 230, [110, 100]),
      ...row([0, 40, 200], 35, 330, [70, 75]),
      [400, 20, 440, 230] as BoxXyxy,
    ];
    const expected = analyzeShelf(boxes.map(det));
    expect(expected.rows.length).toBe(3);
    fc.assert(
      fc.property(fc.shuffledSubarray(boxes, { minLength: boxes.length }), (perm) => {
        expect(analyzeShelf(perm.map(det))).toEqual(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('counts every box once and keeps gaps inside their row (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 500 }),
            fc.integer({ min: 0, max: 500 }),
            fc.integer({ min: 1, max: 80 }),
            fc.integer({ min: 1, max: 120 }),
          ),
          { maxLength: 40 },
        ),
        (specs) => {
          const boxes = specs.map(([x, y, w, h]): BoxXyxy => [x, y, x + w, y + h]);
          const { rows } = analyzeShelf(boxes.map(det));
          expect(rows.reduce((s, r) => s + r.count, 0)).toBe(boxes.length);
          for (const r of rows) {
            for (const g of r.gaps) {
              expect(g[2]).toBeGreaterThan(g[0]);
              expect(g[0]).toBeGreaterThanOrEqual(r.box[0]);
              expect(g[2]).toBeLessThanOrEqual(r.box[2]);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
