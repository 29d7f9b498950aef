import { describe, expect, it } from 'vitest';
import { type BoxXyxy, evaluateDetections } from '../src/index.js';

const p = (box: BoxXyxy, score: number) => ({ box, score, label: 'product' });
const A: BoxXyxy = [0, 0, 10, 10];
const B: BoxXyxy = [20, 0, 30, 10];
const C: BoxXyxy = [40, 0, 50, 10];

describe('evaluateDetections', () => {
  it('computes 101-point AP for TP, FP, TP (hand-worked)', () => {
    // Ranked: 0.9 TP (P 1, R .5), 0.8 FP (P .5, R .5), 0.7 TP (P 2/3, R 1).
    // Envelope P = [1, 2/3, 2/3]. Recall points 0.00..0.50 (51 of them) read P = 1,
    // 0.51..1.00 (50) read 2/3 -> AP = (51 + 50 * 2/3) / 101 = 0.834983...
    const r = evaluateDetections([[p(A, 0.9), p(C, 0.8), p(B, 0.7)]], [[A, B]]);
    expect(r.ap50).toBeCloseTo((51 + (50 * 2) / 3) / 101, 12);
    expect(r.ap5095).toBeCloseTo(r.ap50, 12); // exact boxes match at every IoU threshold
    expect([r.truePositives, r.falsePositives, r.falseNegatives]).toEqual([2, 1, 0]);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBe(1);
  });

  it('gives AP 51/101 when half the objects are never found', () => {
    // Only R = 0.5 is reached, at P = 1: recall points 0.00..0.50 -> 51 of 101.
    expect(evaluateDetections([[p(A, 0.9)]], [[A, B]]).ap50).toBeCloseTo(51 / 101, 12);
  });

  it('averages AP over IoU 0.50:0.95 (hand-worked)', () => {
    // IoU([0,0,10,8], [0,0,10,10]) = 80 / 100 = 0.8: a TP at 0.50..0.80 (7 thresholds), a miss at 0.85..0.95.
    const r = evaluateDetections([[p([0, 0, 10, 8], 0.9)]], [[A]]);
    expect(r.ap50).toBe(1);
    expect(r.apPerIou).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(r.ap5095).toBeCloseTo(0.7, 12);
  });

  it('matches greedily by score: a duplicate of a matched object is a false positive', () => {
    // Both predictions overlap A; the higher one takes it, the lower one is an FP ranked second:
    // P = [1, 1/2], R = [1, 1] -> AP 1 (precision at every recall point is 1).
    const r = evaluateDetections([[p([0, 0, 10, 9], 0.6), p(A, 0.95)]], [[A]]);
    expect(r.ap50).toBe(1);
    expect(r.falsePositives).toBe(1);
  });

  it('ranks predictions across images together', () => {
    // Image 1: FP at 0.9. Image 2: TP at 0.8. Ranked: FP (P 0), TP (P .5, R 1) -> envelope [.5, .5], AP 0.5.
    const r = evaluateDetections([[p(B, 0.9)], [p(A, 0.8)]], [[], [A]]);
    expect(r.ap50).toBeCloseTo(0.5, 12);
  });

  it('computes precision/recall at the score threshold and count errors', () => {
    // Image 1: GT A,B; predictions A .9, C .3, B .2 -> above .25: A (TP), C (FP); count 2 vs 2.
    // Image 2: GT A,B,C; prediction A .5 -> count 1 vs 3 (error 2, 66.67 %).
    // Image 3: no GT; prediction C .8 (FP) -> count 1 vs 0 (error 1, left out of the % error).
    const r = evaluateDetections(
      [[p(A, 0.9), p(C, 0.3), p(B, 0.2)], [p(A, 0.5)], [p(C, 0.8)]],
      [[A, B], [A, B, C], []],
      { scoreThreshold: 0.25 },
    );
    expect([r.truePositives, r.falsePositives, r.falseNegatives]).toEqual([2, 2, 3]);
    expect(r.precision).toBe(0.5);
    expect(r.recall).toBeCloseTo(2 / 5, 12);
    expect(r.countMae).toBeCloseTo((0 + 2 + 1) / 3, 12);
    expect(r.countMape).toBeCloseTo((0 + (100 * 2) / 3) / 2, 12);
    expect(r.images).toBe(3);
    expect(r.groundTruth).toBe(5);
  });

  it('is class-aware when ground truth is labelled', () => {
    const r = evaluateDetections([[{ box: A, score: 0.9, label: 'cat' }]], [[{ box: A, label: 'dog' }]]);
    expect(r.ap50).toBe(0);
    expect(r.falsePositives).toBe(1);
  });

  it('reports NaN AP without ground truth and handles empty input', () => {
    const r = evaluateDetections([[]], [[]]);
    expect(Number.isNaN(r.ap50)).toBe(true);
    expect(Number.isNaN(r.countMape)).toBe(true);
    expect([r.precision, r.recall, r.countMae]).toEqual([1, 1, 0]);
  });
});
