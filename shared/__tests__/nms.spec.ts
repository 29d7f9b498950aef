import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iouXyxy, nms } from '../src/index.js';

interface Cands {
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
  count: number;
}

/** Random candidates on a small canvas so that overlaps are common; scores from a small set so ties happen. */
const candidates = fc
  .array(
    fc.record({
      x: fc.integer({ min: 0, max: 90 }),
      y: fc.integer({ min: 0, max: 90 }),
      w: fc.integer({ min: 0, max: 40 }),
      h: fc.integer({ min: 0, max: 40 }),
      score: fc.integer({ min: 0, max: 20 }).map((s) => s / 20),
      cls: fc.integer({ min: 0, max: 2 }),
    }),
    { maxLength: 60 },
  )
  .map((list): Cands => {
    const boxes = new Float32Array(list.length * 4);
    list.forEach((c, i) => {
      boxes.set([c.x, c.y, c.x + c.w, c.y + c.h], i * 4);
    });
    return {
      boxes,
      scores: Float32Array.from(list, (c) => c.score),
      classIds: Int32Array.from(list, (c) => c.cls),
      count: list.length,
    };
  });

const box = (c: Cands, i: number) => Array.from(c.boxes.subarray(i * 4, i * 4 + 4));

/** The textbook definition: take the best remaining box, delete same-class boxes overlapping it, repeat. */
function bruteForceNms(c: Cands, iouThreshold: number, maxDetections: number): number[] {
  const remaining = new Set(Array.from({ length: c.count }, (_, i) => i));
  const kept: number[] = [];
  while (remaining.size > 0 && kept.length < maxDetections) {
    let best = -1;
    for (const i of remaining) {
      if (best < 0 || c.scores[i]! > c.scores[best]! || (c.scores[i] === c.scores[best] && i < best))
        best = i;
    }
    kept.push(best);
    remaining.delete(best);
    for (const j of [...remaining]) {
      if (c.classIds[j] === c.classIds[best] && iouXyxy(box(c, j), box(c, best)) > iouThreshold)
        remaining.delete(j);
    }
  }
  return kept;
}

describe('iouXyxy', () => {
  it('matches hand-worked values', () => {
    // 10x10 boxes shifted by 5: intersection 5x10 = 50, union 100 + 100 - 50 = 150.
    expect(iouXyxy([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 12);
    expect(iouXyxy([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iouXyxy([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching edges
    expect(iouXyxy([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0); // no area, no NaN
  });
});

describe('nms', () => {
  it('keeps the best of a duplicate cluster per class, highest score first', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10, 50, 50, 60, 60]);
    const scores = new Float32Array([0.8, 0.9, 0.7, 0.6]);
    const classIds = new Int32Array([0, 0, 1, 0]);
    const keep = nms(boxes, scores, classIds, 4, { iouThreshold: 0.45, maxDetections: 10 });
    // 1 beats 0 (IoU 81/119 = 0.68); 2 survives because it is another class; 3 overlaps nothing.
    expect(Array.from(keep)).toEqual([1, 2, 3]);
  });

  it('stops at maxDetections and handles no candidates', () => {
    const boxes = new Float32Array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const scores = new Float32Array([0.1, 0.3, 0.2]);
    expect(
      Array.from(nms(boxes, scores, new Int32Array(3), 3, { iouThreshold: 0.5, maxDetections: 2 })),
    ).toEqual([1, 2]);
    expect(
      nms(new Float32Array(0), new Float32Array(0), new Int32Array(0), 0, {
        iouThreshold: 0.5,
        maxDetections: 5,
      }).length,
    ).toBe(0);
  });

  it('orders negative, zero and tied scores like the comparator (both sort paths)', () => {
    const boxes = new Float32Array(5 * 4).map((_, k) => (k % 4 < 2 ? (k >> 2) * 10 : (k >> 2) * 10 + 5));
    const ids = new Int32Array(5);
    const opts = { iouThreshold: 0.5, maxDetections: 10 };
    expect(Array.from(nms(boxes, new Float32Array([0, 0.5, -0, 0.5, 1]), ids, 5, opts))).toEqual([
      4, 1, 3, 0, 2,
    ]);
    expect(Array.from(nms(boxes, new Float32Array([-1, 0.5, -0, 0.5, 1]), ids, 5, opts))).toEqual([
      4, 1, 3, 2, 0,
    ]);
    expect(Array.from(nms(boxes, new Float64Array([0, 0.5, 0, 0.5, 1]), ids, 5, opts))).toEqual([
      4, 1, 3, 0, 2,
    ]);
  });

  it('equals the brute-force reference on a large clustered output with a few huge boxes', () => {
    // 150 objects x 12 jittered duplicates, 2 classes, plus boxes covering the whole canvas, so the
    // grid's cells, its big-box list and its plain-scan fallback all take part.
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const n = 150 * 12 + 6;
    const boxes = new Float32Array(n * 4);
    const scores = new Float32Array(n);
    const classIds = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const o = Math.floor(i / 12);
      const huge = i >= 150 * 12;
      const cx = huge ? 500 : (o % 15) * 60 + 30 + (rand() - 0.5) * 12;
      const cy = huge ? 500 : Math.floor(o / 15) * 90 + 45 + (rand() - 0.5) * 12;
      const w = huge ? 900 + rand() * 200 : 50 * (0.8 + rand() * 0.4);
      const h = huge ? 900 + rand() * 200 : 80 * (0.8 + rand() * 0.4);
      boxes.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], i * 4);
      scores[i] = huge ? 0.3 + rand() * 0.6 : rand();
      classIds[i] = (o + (huge ? i : 0)) % 2;
    }
    const c = { boxes, scores, classIds, count: n };
    for (const thr of [0, 0.3, 0.45, 0.7]) {
      const keep = nms(boxes, scores, classIds, n, { iouThreshold: thr, maxDetections: 300 });
      expect(Array.from(keep)).toEqual(bruteForceNms(c, thr, 300));
    }
  });

  it('never keeps two same-class boxes above the IoU threshold (property)', () => {
    fc.assert(
      fc.property(
        candidates,
        fc.integer({ min: 0, max: 20 }).map((t) => t / 20),
        (c, thr) => {
          const keep = Array.from(
            nms(c.boxes, c.scores, c.classIds, c.count, { iouThreshold: thr, maxDetections: 1000 }),
          );
          for (let a = 0; a < keep.length; a++) {
            for (let b = a + 1; b < keep.length; b++) {
              const i = keep[a]!;
              const j = keep[b]!;
              if (c.classIds[i] === c.classIds[j])
                expect(iouXyxy(box(c, i), box(c, j))).toBeLessThanOrEqual(thr);
            }
            if (a > 0) expect(c.scores[keep[a]!]!).toBeLessThanOrEqual(c.scores[keep[a - 1]!]!);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equals a brute-force reference on random inputs (property)', () => {
    fc.assert(
      fc.property(
        candidates,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 70 }),
        (c, thr, max) => {
          const keep = nms(c.boxes, c.scores, c.classIds, c.count, { iouThreshold: thr, maxDetections: max });
          expect(Array.from(keep)).toEqual(bruteForceNms(c, thr, max));
        },
      ),
      { numRuns: 300 },
    );
  });
});
