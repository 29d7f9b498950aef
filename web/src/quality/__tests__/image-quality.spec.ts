import type { BoxXyxy, Detection, PredictResult, ShelfRow } from '@shelfwatch/shared';
import { describe, expect, it } from 'vitest';
import {
  checkResult,
  checkSample,
  DEFAULT_QUALITY,
  type GrayImage,
  laplacianVariance,
  rgbaToGray,
  rowAngles,
  undecodedShare,
} from '../image-quality.ts';

/** A deterministic "shelf": random product-like blocks with edges, brightness scaled by `gain`. */
function shelf(w: number, h: number, gain = 1, seed = 3): GrayImage {
  let s = seed;
  const rnd = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const data = new Uint8Array(w * h);
  for (let by = 0; by < h; by += 16) {
    for (let bx = 0; bx < w; bx += 12) {
      const v = 40 + rnd() * 180;
      for (let y = by; y < Math.min(h, by + 16); y++)
        for (let x = bx; x < Math.min(w, bx + 12); x++)
          data[y * w + x] = Math.min(255, v * gain + (x % 3) * 6);
    }
  }
  return { data, width: w, height: h };
}

/** Box blur of radius r, applied twice (close to a Gaussian). */
function blur(g: GrayImage, r: number): GrayImage {
  let src = g.data;
  for (let pass = 0; pass < 2; pass++) {
    const out = new Uint8Array(src.length);
    for (let y = 0; y < g.height; y++)
      for (let x = 0; x < g.width; x++) {
        let sum = 0;
        let n = 0;
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const xx = x + dx;
            const yy = y + dy;
            if (xx >= 0 && yy >= 0 && xx < g.width && yy < g.height) {
              sum += src[yy * g.width + xx]!;
              n++;
            }
          }
        out[y * g.width + x] = sum / n;
      }
    src = out;
  }
  return { ...g, data: src };
}

describe('checkSample', () => {
  const sharp = shelf(320, 240);

  it('passes a sharp, well exposed shelf', () => {
    expect(checkSample(sharp)).toEqual([]);
  });

  it('flags blur (variance of the Laplacian)', () => {
    const soft = blur(sharp, 3);
    expect(laplacianVariance(soft)).toBeLessThan(DEFAULT_QUALITY.minSharpness);
    expect(checkSample(soft).map((w) => w.code)).toEqual(['blurry']);
  });

  it('flags a dark photo, and a washed-out one', () => {
    expect(checkSample(shelf(320, 240, 0.25)).map((w) => w.code)).toEqual(['dark']);
    expect(checkSample(shelf(320, 240, 3)).map((w) => w.code)).toEqual(['bright']);
  });

  it('finds the flat grey a decoder leaves where a damaged JPEG stopped, not clipping or texture', () => {
    expect(undecodedShare(sharp)).toBe(0);
    const cut = { ...sharp, data: sharp.data.slice() };
    cut.data.fill(128, sharp.width * 200);
    expect(undecodedShare(cut)).toBeCloseTo(40 / 240, 5);
    const white = { ...sharp, data: sharp.data.slice() };
    white.data.fill(255, sharp.width * 200);
    expect(undecodedShare(white)).toBe(0);
  });

  it('converts RGBA to luma and refuses short buffers', () => {
    const g = rgbaToGray(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 255]), 2, 1);
    expect([...g.data]).toEqual([255, 0]);
    expect(() => rgbaToGray(new Uint8Array(4), 2, 1)).toThrow(RangeError);
  });
});

/**
 * Products along rows tilted by `deg`, 10 per row, boxes 40 px tall, shaped like a stored audit from
 * before the rows contract (no `Detection.row`, no `ShelfRow.line`), so the product-based path is used.
 */
function tiltedResult(deg: number, rowsN = 3, boxH = 40) {
  const t = Math.tan((deg * Math.PI) / 180);
  const detections: Omit<Detection, 'row'>[] = [];
  const rows: Omit<ShelfRow, 'line'>[] = [];
  for (let r = 0; r < rowsN; r++) {
    const base = 100 + r * 150;
    const boxes: BoxXyxy[] = [];
    for (let i = 0; i < 10; i++) {
      const x = 20 + i * 50;
      const bottom = base + x * t;
      const box: BoxXyxy = [x, bottom - boxH, x + 40, bottom];
      boxes.push(box);
      detections.push({ box, score: 0.9, label: 'product' });
    }
    const ys = boxes.flatMap((b) => [b[1], b[3]]);
    rows.push({ box: [20, Math.min(...ys), 520, Math.max(...ys)], count: 10, gaps: [] });
  }
  return { detections, shelf: { rows }, image: { width: 640, height: 640 } } as unknown as Pick<
    PredictResult,
    'detections' | 'shelf' | 'image'
  >;
}

describe('checkResult', () => {
  it('measures the row slope from the products, or from the row line when given', () => {
    expect(rowAngles(tiltedResult(0))).toEqual([0, 0, 0]);
    for (const a of rowAngles(tiltedResult(10))) expect(a).toBeCloseTo(10, 5);
    const withLine = tiltedResult(0);
    for (const row of withLine.shelf.rows) {
      (row as ShelfRow & { line: unknown }).line = [
        [0, 0],
        [100, -10],
      ];
    }
    expect(rowAngles(withLine)).toHaveLength(3);
    expect(rowAngles(withLine)[0]).toBeCloseTo(-5.71, 2);
    // Membership from `Detection.row` when the result carries it.
    const withRow = tiltedResult(10);
    for (const [i, d] of withRow.detections.entries()) Object.assign(d, { row: Math.floor(i / 10) });
    for (const a of rowAngles(withRow)) expect(a).toBeCloseTo(10, 5);
  });

  it('flags a tilted shelf but not a level one', () => {
    expect(checkResult(tiltedResult(2), 640)).toEqual([]);
    expect(checkResult(tiltedResult(12), 640).map((w) => w.code)).toEqual(['tilted']);
    expect(checkResult(tiltedResult(-12), 640)[0]?.value).toBeCloseTo(-12, 0);
  });

  it('flags products too small for the model, and a photo with no products', () => {
    expect(checkResult(tiltedResult(0, 3, 8), 640).map((w) => w.code)).toEqual(['small']);
    // The same boxes on a photo 4x larger are 4x smaller at the model input.
    const big = { ...tiltedResult(0, 3, 40), image: { width: 2560, height: 2560 } };
    expect(checkResult(big, 640).map((w) => w.code)).toEqual(['small']);
    expect(
      checkResult({ detections: [], shelf: { rows: [] }, image: { width: 1, height: 1 } }, 640)[0]?.code,
    ).toBe('empty');
  });
});
