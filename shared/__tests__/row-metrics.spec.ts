import { describe, expect, it } from 'vitest';
import {
  type BoxXyxy,
  bootstrapMeanInterval,
  countErrors,
  evaluateRows,
  labelledRowOf,
} from '../src/index.js';

/** `n` products 10 px wide centred at y = cy, from x = x0. */
const strip = (n: number, cy: number, x0 = 0): BoxXyxy[] =>
  Array.from({ length: n }, (_, i) => [x0 + 12 * i, cy - 5, x0 + 12 * i + 10, cy + 5]);

const shelves: BoxXyxy[] = [
  [0, 0, 200, 40],
  [0, 40, 200, 80],
];

describe('labelledRowOf', () => {
  it('takes the row containing the centre, the nearest centre where rows overlap, -1 outside', () => {
    const rows: BoxXyxy[] = [
      [0, 0, 100, 50],
      [0, 40, 100, 100],
    ];
    const boxes: BoxXyxy[] = [
      [0, 10, 10, 20], // centre y 15: row 0 only
      [0, 40, 10, 50], // centre y 45 in both: row 0 centre 25, row 1 centre 70 -> 0
      [0, 46, 10, 56], // centre y 51: row 1 only
      [200, 0, 210, 10], // outside
    ];
    expect(Array.from(labelledRowOf(boxes, rows))).toEqual([0, 0, 1, -1]);
  });
});

describe('evaluateRows', () => {
  it('scores a perfect grouping as no split, no merge, no stray', () => {
    const boxes = [...strip(10, 20), ...strip(10, 60)];
    const rowOf = boxes.map((b) => (b[1] < 40 ? 7 : 3)); // any ids
    const e = evaluateRows([{ boxes, rowOf, labelled: shelves }]);
    expect(e).toMatchObject({
      detectedRows: 2,
      judgedDetectedRows: 2,
      mergedRows: 0,
      labelledRows: 2,
      judgedLabelledRows: 2,
      splitRows: 0,
      strayRows: 0,
    });
  });

  it('counts a row holding two shelves as merged, a shelf in two rows as split, a lone box as stray', () => {
    // Shelf 0 in rows 0 (6 boxes) and 1 (4 boxes, 40 %); row 1 also holds all of shelf 1 (10 boxes).
    const boxes = [...strip(10, 20), ...strip(10, 60), [300, 0, 310, 10] as BoxXyxy];
    const rowOf = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, ...Array(10).fill(1), 2];
    const e = evaluateRows([{ boxes, rowOf, labelled: shelves }]);
    expect(e.judgedDetectedRows).toBe(2); // row 2 holds no labelled detection
    expect(e.mergedRows).toBe(1); // row 1: 4 + 10, 4/14 = 29 % >= 20 %
    expect(e.mergedRate).toBe(0.5);
    expect(e.splitRows).toBe(1);
    expect(e.splitRate).toBe(0.5);
    expect(e.strayRows).toBe(1);
    expect(e.strayRate).toBeCloseTo(1 / 3, 12);
  });

  it('tells merges of rows side by side from merges of shelves, and splits along a shelf from layers', () => {
    // Two sections side by side at one height, and a third shelf below the left one.
    const labelled: BoxXyxy[] = [
      [0, 0, 200, 40],
      [200, 0, 400, 40],
      [0, 40, 200, 80],
    ];
    const left = strip(10, 20); // x 0..118
    const right = strip(10, 20, 220);
    const below = strip(10, 60);
    // Row 0 joins both sections (side by side); row 1 joins the left section's last 4 and the shelf below.
    const boxes = [...left, ...right, ...below];
    const rowOf = [...Array(6).fill(0), ...Array(4).fill(1), ...Array(10).fill(0), ...Array(10).fill(1)];
    const e = evaluateRows([{ boxes, rowOf, labelled }]);
    expect(e.mergedRows).toBe(2);
    expect(e.mergedSideBySide).toBe(1);
    // The left section is cut along the shelf (x 0..58 | 72..118); the one below is whole.
    expect(e.splitRows).toBe(1);
    expect(e.splitSideBySide).toBe(1);
    // Layers: the same x-range, two rows.
    const layered = evaluateRows([{ boxes: left, rowOf: left.map((_, i) => i % 2), labelled }]);
    expect(layered.splitRows).toBe(1);
    expect(layered.splitSideBySide).toBe(0);
  });

  it('ignores shares under 20 % and rows with fewer than 3 labelled detections', () => {
    // Row 0: 9 of shelf 0 + 1 of shelf 1 (10 %) -> not merged; shelf 0 has one box in row 1 (10 %) -> not split.
    const boxes = [...strip(10, 20), ...strip(2, 60)];
    const rowOf = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1];
    const e = evaluateRows([{ boxes, rowOf, labelled: shelves }]);
    expect(e.mergedRows).toBe(0);
    expect(e.splitRows).toBe(0);
    expect(e.judgedDetectedRows).toBe(1); // row 1 holds 2 labelled detections
    expect(e.judgedLabelledRows).toBe(1); // shelf 1 holds 2 detections
  });

  it('compares hand counts with the detector and with the rows read as counts', () => {
    // Shelf 0 counted 12: 10 detections centred in it; its row also holds 3 boxes outside every label.
    const boxes = [...strip(10, 20), ...strip(3, 20, 400), ...strip(10, 60)];
    const rowOf = [...Array(13).fill(0), ...Array(10).fill(1)];
    const e = evaluateRows([{ boxes, rowOf, labelled: shelves, counted: [{ row: 0, count: 12 }] }]);
    expect(e.counted).toEqual([{ photo: 0, row: 0, count: 12, detector: 10, rows: 13, rowsInSpan: 10 }]);
    expect(e.detectorCountMape).toBeCloseTo((100 * 2) / 12, 10);
    expect(e.rowsCountMape).toBeCloseTo((100 * 1) / 12, 10);
    expect(e.rowsInSpanCountMape).toBeCloseTo((100 * 2) / 12, 10);
    expect(evaluateRows([]).rowsCountMape).toBeNaN();
  });

  it('refuses malformed input, naming it', () => {
    expect(() => evaluateRows([{ boxes: strip(2, 0), rowOf: [0], labelled: [] }])).toThrow(
      /photos\[0\]\.rowOf must have one entry per box \(2\), got 1/,
    );
    expect(() => evaluateRows([{ boxes: strip(1, 0), rowOf: [0.5], labelled: [] }])).toThrow(
      /photos\[0\]\.rowOf\[0\] must be an integer/,
    );
    expect(() =>
      evaluateRows([{ boxes: [], rowOf: [], labelled: shelves, counted: [{ row: 2, count: 1 }] }]),
    ).toThrow(/counted row must be < 2, got 2/);
    expect(() => evaluateRows('x' as never)).toThrow(TypeError);
  });
});

describe('bootstrapMeanInterval', () => {
  it('brackets the mean, narrows with more rows, and repeats for a seed', () => {
    // 32 errors like the hand-counted rows: mostly small, a few large.
    const few = Array.from({ length: 32 }, (_, i) => (i % 8 === 0 ? 60 : (i * 7) % 20));
    const mean = few.reduce((a, b) => a + b, 0) / few.length;
    const a = bootstrapMeanInterval(few);
    expect(a.mean).toBeCloseTo(mean, 12);
    expect(a.lo).toBeLessThan(mean);
    expect(a.hi).toBeGreaterThan(mean);
    expect(bootstrapMeanInterval(few)).toEqual(a);
    expect(bootstrapMeanInterval(few, { seed: 2 })).not.toEqual(a);
    // Four times the rows (the same mix): about half as wide (1/sqrt(4)).
    const many = bootstrapMeanInterval([...few, ...few, ...few, ...few]);
    const ratio = (many.hi - many.lo) / (a.hi - a.lo);
    expect(ratio).toBeGreaterThan(0.35);
    expect(ratio).toBeLessThan(0.65);
    // A wider level, a wider interval; constant values, no width at all.
    const wide = bootstrapMeanInterval(few, { level: 0.99 });
    expect(wide.lo).toBeLessThan(a.lo);
    expect(wide.hi).toBeGreaterThan(a.hi);
    expect(bootstrapMeanInterval([5, 5, 5])).toEqual({ mean: 5, lo: 5, hi: 5 });
  });

  it('as a paired comparison: a constant lead excludes 0, noise around it does not', () => {
    const lead = Array.from({ length: 32 }, (_, i) => 2 + ((i * 5) % 3) - 1); // 1..3
    const l = bootstrapMeanInterval(lead);
    expect(l.lo).toBeGreaterThan(0);
    const noise = Array.from({ length: 32 }, (_, i) => ((i * 13) % 21) - 10); // -10..10, mean ~0
    const z = bootstrapMeanInterval(noise);
    expect(z.lo).toBeLessThan(0);
    expect(z.hi).toBeGreaterThan(0);
  });

  it('refuses empty or non-finite values, a level outside (0, 1) and too few resamples', () => {
    expect(() => bootstrapMeanInterval([])).toThrow(RangeError);
    expect(() => bootstrapMeanInterval([1, Number.NaN])).toThrow(/finite/);
    expect(() => bootstrapMeanInterval([1, Number.POSITIVE_INFINITY])).toThrow(/finite/);
    expect(() => bootstrapMeanInterval([1], { level: 1 })).toThrow(/level/);
    expect(() => bootstrapMeanInterval([1], { level: 0 })).toThrow(/level/);
    expect(() => bootstrapMeanInterval([1], { resamples: 10 })).toThrow(/resamples/);
    expect(() => bootstrapMeanInterval([1], { resamples: 100.5 })).toThrow(/resamples/);
  });
});

describe('countErrors', () => {
  it('is |count - hand| / hand in percent per row, the terms of the MAPE', () => {
    const counted = [
      { photo: 0, row: 0, count: 10, detector: 8, rows: 12, rowsInSpan: 10 },
      { photo: 0, row: 1, count: 4, detector: 5, rows: 4, rowsInSpan: 3 },
    ];
    expect(countErrors(counted)).toEqual([20, 25]);
    expect(countErrors(counted, 'rows')).toEqual([20, 0]);
    expect(countErrors(counted, 'rowsInSpan')).toEqual([0, 25]);
  });
});
