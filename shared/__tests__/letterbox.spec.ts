import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BoxXyxy,
  chwDims,
  computeLetterbox,
  LETTERBOX_PAD_VALUE,
  letterboxToSource,
  pixelsToChw,
  resizeLetterbox,
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

describe('resizeLetterbox', () => {
  it('pads with grey 114 and keeps a flat colour flat', () => {
    const w = 30;
    const h = 20;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([200, 10, 50, 255], i * 4);
    const lb = computeLetterbox(w, h, 16, 16);
    const out = resizeLetterbox(rgba, w, h, 4, lb);
    expect(out.length).toBe(16 * 16 * 3);
    const px = (x: number, y: number) => Array.from(out.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3));
    expect(px(0, 0)).toEqual([LETTERBOX_PAD_VALUE, LETTERBOX_PAD_VALUE, LETTERBOX_PAD_VALUE]);
    expect(px(8, lb.padTop)).toEqual([200, 10, 50]);
    expect(px(15, lb.padTop + lb.newHeight - 1)).toEqual([200, 10, 50]);
    expect(px(8, lb.padTop + lb.newHeight)).toEqual([114, 114, 114]);
  });

  it('averages areas when halving (box filter)', () => {
    // 4x2 RGB -> 2x1: each output pixel is the mean of a 2x2 block.
    const rgb = new Uint8Array([
      0, 0, 0, 100, 100, 100, 10, 20, 30, 10, 20, 30, 200, 0, 0, 0, 200, 0, 10, 20, 30, 10, 20, 30,
    ]);
    const lb = computeLetterbox(4, 2, 2, 1);
    expect(lb.padTop + lb.padLeft).toBe(0);
    // left block: (0+100+200+0)/4 = 75, (0+100+0+200)/4 = 75, (0+100+0+0)/4 = 25; right block is constant.
    expect(Array.from(resizeLetterbox(rgb, 4, 2, 3, lb))).toEqual([75, 75, 25, 10, 20, 30]);
  });

  it('is the identity when no resize is needed', () => {
    const rgb = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
    expect(Array.from(resizeLetterbox(rgb, 5, 4, 3, computeLetterbox(5, 4, 5, 4)))).toEqual(Array.from(rgb));
  });

  it('interpolates when enlarging', () => {
    // 2x1 -> 4x2 bilinear with half-pixel centres: outputs at src x = -0.25, 0.25, 0.75, 1.25 (clamped).
    const out = resizeLetterbox(
      new Uint8Array([0, 0, 0, 200, 200, 200]),
      2,
      1,
      3,
      computeLetterbox(2, 1, 4, 2),
    );
    expect(Array.from(out.subarray(0, 12)).filter((_, i) => i % 3 === 0)).toEqual([0, 50, 150, 200]);
  });
});

describe('pixelsToChw', () => {
  it('writes planar RGB scaled to 0..1, ignoring alpha', () => {
    const rgba = new Uint8ClampedArray([255, 0, 51, 7, 0, 255, 102, 9]);
    const t = pixelsToChw(rgba, 2, 1, 4);
    expect(Array.from(t)).toEqual([1, 0, 0, 1, 0.2, 0.4].map(Math.fround));
    expect(TENSOR_LAYOUT.order).toBe('NCHW');
    expect(chwDims(2, 1)).toEqual([1, 3, 1, 2]);
  });

  it('reuses the out buffer', () => {
    const out = new Float32Array(3 * 4);
    const t = pixelsToChw(new Uint8Array(4 * 3).fill(255), 2, 2, 3, out);
    expect(t).toBe(out);
    expect(Array.from(out).every((v) => v === 1)).toBe(true);
  });
});
