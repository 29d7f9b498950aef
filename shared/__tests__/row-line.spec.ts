import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitRowLine, medianInPlace } from '../src/row-line.js';

describe('medianInPlace', () => {
  it('equals the median of the sorted list (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 60 }),
        (v) => {
          const s = [...v].sort((a, b) => a - b);
          const m = s.length >> 1;
          const expected = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
          // `+ 0` folds -0 into 0: a sort may put 0 and -0 in either order, and they are the same median.
          expect(medianInPlace(v) + 0).toBe(expected + 0);
          expect(medianInPlace(Float64Array.from(v)) + 0).toBe(expected + 0);
        },
      ),
      { numRuns: 300 },
    );
    expect(medianInPlace([])).toBeNaN();
    expect(medianInPlace([1, Number.NaN, 2])).toBeNaN();
  });
});

describe('fitRowLine', () => {
  const points = (pts: [number, number][]) => ({
    xs: Float64Array.from(pts, (p) => p[0]),
    ys: Float64Array.from(pts, (p) => p[1]),
    scales: new Float64Array(pts.length).fill(100),
    idx: pts.map((_, i) => i),
  });

  it('fits a sloped row and gives an outlier no weight', () => {
    const pts: [number, number][] = Array.from({ length: 12 }, (_, k) => [k * 50, 300 + 0.1 * k * 50]);
    pts[5] = [250, 380]; // 55 px below the line: more than half a product height
    const { xs, ys, scales, idx } = points(pts);
    const line = fitRowLine(xs, ys, scales, idx, 1);
    expect(line.slope).toBeCloseTo(0.1, 9);
    expect(line.intercept).toBeCloseTo(300, 6);
  });

  it('shrinks the slope of a short row towards the prior and leaves a long one be', () => {
    const short = points([
      [0, 300],
      [60, 318],
    ]);
    const free = fitRowLine(short.xs, short.ys, short.scales, short.idx, 1);
    const held = fitRowLine(short.xs, short.ys, short.scales, short.idx, 1, { slope: 0, weight: 1 });
    expect(free.slope).toBeCloseTo(0.3, 9);
    expect(Math.abs(held.slope)).toBeLessThan(0.1);
    const long = points(Array.from({ length: 20 }, (_, k): [number, number] => [k * 60, 300 + 0.3 * k * 60]));
    const longHeld = fitRowLine(long.xs, long.ys, long.scales, long.idx, 1, { slope: 0, weight: 1 });
    expect(longHeld.slope).toBeGreaterThan(0.29);
  });

  it('clamps the slope', () => {
    const steep = points([
      [0, 0],
      [100, 300],
      [200, 600],
      [300, 900],
    ]);
    expect(fitRowLine(steep.xs, steep.ys, steep.scales, steep.idx, 1).slope).toBe(1);
  });
});
