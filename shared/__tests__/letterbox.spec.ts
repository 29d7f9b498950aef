import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BoxXyxy,
  chwDims,
  computeLetterbox,
  letterboxToSource,
  sourceToLetterbox,
  TENSOR_LAYOUT,
} from '../src/index.js';

describe('computeLetterbox', () => {
  it('fits a landscape photo and centres the padding', () => {
    // 1280x960 into 640x640: scale 0.5 -> 640x480, 160 rows of padding split 80/80.
    expect(computeLetterbox(1280, 960, 640, 640)).toEqual({
      scale: 0.5,
      newWidth: 640,
      newHeight: 480,
      padLeft: 0,
      padTop: 80,
      padRight: 0,
      padBottom: 80,
      inputWidth: 640,
      inputHeight: 640,
      srcWidth: 1280,
      srcHeight: 960,
    });
  });

  it('puts the odd padding pixel on the right/bottom', () => {
    // 3024x4032 portrait into 640: scale 640/4032, width round(480) = 480 -> pads 80/80;
    // 101x100 into 64x64: scale 64/101, height round(63.37) = 63 -> pads 0 top, 1 bottom.
    const lb = computeLetterbox(101, 100, 64, 64);
    expect([lb.newWidth, lb.newHeight, lb.padTop, lb.padBottom]).toEqual([64, 63, 0, 1]);
    const p = computeLetterbox(3024, 4032, 640);
    expect([p.newWidth, p.newHeight, p.padLeft, p.padRight]).toEqual([480, 640, 80, 80]);
  });

  it('keeps at least one pixel for extreme aspect ratios', () => {
    const lb = computeLetterbox(10000, 1, 640, 640);
    expect(lb.newHeight).toBe(1);
    expect(lb.padTop + lb.padBottom + lb.newHeight).toBe(640);
  });

  it('round-trips boxes inside the image (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 32, max: 1280 }),
        fc.integer({ min: 32, max: 1280 }),
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
        (sw, sh, iw, ih, [ax, bx], [ay, by]) => {
          const lb = computeLetterbox(sw, sh, iw, ih);
          expect(lb.newWidth + lb.padLeft + lb.padRight).toBe(iw);
          expect(lb.newHeight + lb.padTop + lb.padBottom).toBe(ih);
          expect(Math.abs(lb.padLeft - lb.padRight)).toBeLessThanOrEqual(1);
          const box: BoxXyxy = [
            Math.min(ax, bx) * sw,
            Math.min(ay, by) * sh,
            Math.max(ax, bx) * sw,
            Math.max(ay, by) * sh,
          ];
          const there = sourceToLetterbox(box, lb);
          // The box lands inside the resized (unpadded) area of the input.
          expect(there[0]).toBeGreaterThanOrEqual(lb.padLeft - 1e-9);
          expect(there[2]).toBeLessThanOrEqual(lb.padLeft + lb.newWidth + 1e-9);
          const back = letterboxToSource(there, lb);
          for (let k = 0; k < 4; k++) expect(back[k]).toBeCloseTo(box[k]!, 6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('clips boxes that reach into the padding back to the image', () => {
    const lb = computeLetterbox(1280, 960, 640, 640);
    // y 40 and 600 are inside the 80-row padding bands.
    expect(letterboxToSource([-10, 40, 700, 600], lb)).toEqual([0, 0, 1280, 960]);
  });
});

describe('tensor layout', () => {
  it('is NCHW float32 RGB in 0..1', () => {
    expect(TENSOR_LAYOUT).toMatchObject({ order: 'NCHW', channels: 'RGB', dtype: 'float32' });
    expect(chwDims(2, 1)).toEqual([1, 3, 1, 2]);
  });
});
