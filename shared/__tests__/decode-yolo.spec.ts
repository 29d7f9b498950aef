import { describe, expect, it } from 'vitest';
import { computeLetterbox, decodeYolo, postprocess } from '../src/index.js';

/** Builds a `[1, 4 + nc, N]` channel-major output from rows of `[cx, cy, w, h, ...scores]`. */
function yoloOutput(rows: number[][], nc: number): { output: Float32Array; dims: number[] } {
  const n = rows.length;
  const output = new Float32Array((4 + nc) * n);
  rows.forEach((r, i) => {
    r.forEach((v, c) => {
      output[c * n + i] = v;
    });
  });
  return { output, dims: [1, 4 + nc, n] };
}

describe('decodeYolo', () => {
  const lb = computeLetterbox(1280, 960, 640, 640); // scale 0.5, padTop 80

  it('maps cx,cy,w,h from input pixels to source xyxy and picks the best class', () => {
    const { output, dims } = yoloOutput(
      [
        [100, 200, 50, 80, 0.1, 0.9], // class 1 wins
        [300, 300, 20, 20, 0.2, 0.1], // below threshold
        [320, 40, 40, 20, 0.8, 0.0], // entirely inside the top padding -> no area left -> dropped
        [320, 320, 0, 10, 0.9, 0.9], // zero width -> dropped
      ],
      2,
    );
    const c = decodeYolo(output, dims, { confThreshold: 0.25, letterbox: lb });
    expect(c.count).toBe(1);
    // x: (100 -/+ 25) / 0.5 = 150..250; y: (200 -/+ 40 - 80) / 0.5 = 160..320
    expect(Array.from(c.boxes)).toEqual([150, 160, 250, 320]);
    expect(c.scores[0]).toBeCloseTo(0.9, 6);
    expect(Array.from(c.classIds)).toEqual([1]);
  });

  it('accepts [4 + nc, N] dims and empty outputs', () => {
    const empty = decodeYolo(new Float32Array(0), [1, 5, 0], { confThreshold: 0.25, letterbox: lb });
    expect(empty.count).toBe(0);
    const { output } = yoloOutput([[320, 320, 10, 10, 0.5]], 1);
    expect(decodeYolo(output, [5, 1], { confThreshold: 0.5, letterbox: lb }).count).toBe(1); // score == conf kept
  });

  it('drops NaN scores and coordinates instead of emitting NaN boxes', () => {
    const { output, dims } = yoloOutput(
      [
        [Number.NaN, 320, 10, 10, 0.9],
        [320, 320, 10, 10, Number.NaN],
      ],
      1,
    );
    expect(decodeYolo(output, dims, { confThreshold: 0, letterbox: lb }).count).toBe(0);
  });
});

describe('postprocess', () => {
  it('decodes, suppresses duplicates and labels by names', () => {
    const lb = computeLetterbox(640, 640, 640, 640);
    const { output, dims } = yoloOutput(
      [
        [100, 100, 40, 40, 0.7],
        [102, 101, 40, 40, 0.95],
        [300, 100, 40, 40, 0.5],
        [500, 100, 40, 40, 0.1],
      ],
      1,
    );
    const d = postprocess(output, dims, { letterbox: lb, names: ['product'] });
    expect(d.map((x) => x.label)).toEqual(['product', 'product']);
    expect(d.map((x) => x.score)).toEqual([0.95, 0.5]);
    expect(d[0]!.box).toEqual([82, 81, 122, 121]);
    expect(postprocess(output, dims, { letterbox: lb, conf: 0.05, iou: 0.99 }).map((x) => x.label)).toEqual([
      'class0',
      'class0',
      'class0',
      'class0',
    ]);
  });
});
