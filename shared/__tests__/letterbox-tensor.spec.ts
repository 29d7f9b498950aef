import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelModuleText } from '../scripts/build-kernel.mjs';
import {
  computeLetterbox,
  type DecodedImage,
  LETTERBOX_PAD_VALUE,
  type Letterbox,
  letterboxTensor,
} from '../src/index.js';
import { seededRandom as rng } from '../src/random.js';
import { axisTaps, RESAMPLE_ONE } from '../src/resample-taps.js';

/**
 * The arithmetic the kernel promises, written the plain way: composite RGBA over grey 114 as a
 * canvas keeps it (premultiplied, rounded), weight rows then columns with the integer taps, round
 * the 16.16 fixed point down after adding a half, divide by 255 in float32.
 */
function reference(image: DecodedImage, lb: Letterbox): Float32Array {
  const { data, width: W, height: H, channels: C } = image;
  const tx = axisTaps(W, lb.newWidth);
  const ty = axisTaps(H, lb.newHeight);
  const plane = lb.inputWidth * lb.inputHeight;
  const out = new Float32Array(3 * plane).fill(LETTERBOX_PAD_VALUE / 255);
  const px = (i: number) => {
    if (C === 3 || image.opaque) return data[i]!;
    const a = data[i - (i % 4) + 3]!;
    return Math.round((data[i]! * a) / 255) + Math.round((LETTERBOX_PAD_VALUE * (255 - a)) / 255);
  };
  const mid = new Int32Array(W * C);
  for (let oy = 0; oy < lb.newHeight; oy++) {
    mid.fill(0);
    for (let k = 0; k < ty.count[oy]!; k++) {
      const w = ty.weights[oy * ty.maxTaps + k]!;
      const row = (ty.start[oy]! + k) * W * C;
      for (let i = 0; i < W * C; i++) mid[i]! += w * px(row + i);
    }
    for (let ox = 0; ox < lb.newWidth; ox++) {
      for (let c = 0; c < 3; c++) {
        let acc = 32768;
        for (let k = 0; k < tx.count[ox]!; k++)
          acc += tx.weights[ox * tx.maxTaps + k]! * mid[(tx.start[ox]! + k) * C + c]!;
        out[c * plane + (oy + lb.padTop) * lb.inputWidth + lb.padLeft + ox] = (acc >>> 16) / 255;
      }
    }
  }
  return out;
}

/** Deterministic noise photo (mulberry32), with alpha 0, 255 and everything between when RGBA. */
function noise(width: number, height: number, channels: 3 | 4, seed: number, opaque = false): DecodedImage {
  const r = rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (r() * 256) | 0;
  if (channels === 4)
    for (let i = 3; i < data.length; i += 4)
      data[i] = opaque ? 255 : i % 7 === 0 ? 0 : i % 5 === 0 ? 255 : data[i]!;
  return { data, width, height, channels, opaque };
}

const sha256 = (t: Float32Array) =>
  createHash('sha256')
    .update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength))
    .digest('hex');

// [width, height, channels, input w, input h, opaque]: odd sizes, portrait, landscape, enlarging,
// 1:1, extreme aspect ratios, RGBA over grey and opaque RGBA (a canvas read of a JPEG).
const CASES = [
  [1203, 897, 3, 640, 640, false],
  [897, 1203, 4, 640, 640, false],
  [1000, 700, 4, 320, 256, true],
  [333, 211, 3, 640, 640, false],
  [640, 640, 3, 640, 640, false],
  [64, 4000, 3, 640, 640, false],
  [5000, 3, 4, 640, 640, false],
] as const;

describe('letterboxTensor (WebAssembly SIMD kernel)', () => {
  it.each(CASES)(
    '%ix%i x%i into %ix%i (opaque %s) equals the plain integer arithmetic',
    (w, h, c, iw, ih, opaque) => {
      const image = noise(w, h, c, w * 31 + h, opaque);
      const lb = computeLetterbox(w, h, iw, ih);
      const got = letterboxTensor(image, lb);
      expect(got.length).toBe(3 * iw * ih);
      const want = reference(image, lb);
      let mismatches = 0;
      for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) mismatches++;
      expect(mismatches).toBe(0);
    },
  );

  it('gives the committed bytes for fixed photos (a change of arithmetic must be deliberate)', () => {
    const digests = CASES.map(([w, h, c, iw, ih, opaque]) =>
      sha256(letterboxTensor(noise(w, h, c, w * 31 + h, opaque), computeLetterbox(w, h, iw, ih))).slice(
        0,
        16,
      ),
    );
    expect(digests).toEqual(GOLDEN);
  });

  it('pads with grey 114, keeps a flat colour flat and writes byte / 255 exactly', () => {
    const data = new Uint8Array(30 * 20 * 4);
    for (let i = 0; i < 30 * 20; i++) data.set([200, 10, 50, 255], i * 4);
    const lb = computeLetterbox(30, 20, 16, 16);
    const t = letterboxTensor({ data, width: 30, height: 20, channels: 4 }, lb);
    const at = (c: number, x: number, y: number) => t[c * 256 + y * 16 + x]! * 255;
    expect(at(0, 0, 0)).toBeCloseTo(LETTERBOX_PAD_VALUE, 4);
    expect([0, 1, 2].map((c) => Math.round(at(c, 8, lb.padTop)))).toEqual([200, 10, 50]);
    expect(Math.round(at(1, 8, lb.padTop + lb.newHeight))).toBe(LETTERBOX_PAD_VALUE);
    // A 256-wide ramp at 1:1 comes out as exactly Math.fround(v / 255) for every byte value.
    const ramp = Uint8Array.from({ length: 256 * 3 }, (_, i) => Math.floor(i / 3));
    const r = letterboxTensor(
      { data: ramp, width: 256, height: 1, channels: 3 },
      computeLetterbox(256, 1, 256, 1),
    );
    expect(Array.from(r.subarray(0, 256))).toEqual(
      Array.from({ length: 256 }, (_, v) => Math.fround(v / 255)),
    );
  });

  it('averages areas when halving and interpolates when enlarging', () => {
    // 4x2 RGB -> 2x1: each output pixel is the mean of a 2x2 block.
    const rgb = new Uint8Array([
      0, 0, 0, 100, 100, 100, 10, 20, 30, 10, 20, 30, 200, 0, 0, 0, 200, 0, 10, 20, 30, 10, 20, 30,
    ]);
    const half = letterboxTensor(
      { data: rgb, width: 4, height: 2, channels: 3 },
      computeLetterbox(4, 2, 2, 1),
    );
    expect(Array.from(half, (v) => Math.round(v * 255))).toEqual([75, 10, 75, 20, 25, 30]);
    // 2x1 -> 4x2 bilinear, half-pixel centres: source x = -0.25, 0.25, 0.75, 1.25 (clamped).
    const grey = new Uint8Array([0, 0, 0, 200, 200, 200]);
    const up = letterboxTensor(
      { data: grey, width: 2, height: 1, channels: 3 },
      computeLetterbox(2, 1, 4, 2),
    );
    expect(Array.from(up.subarray(0, 4), (v) => Math.round(v * 255))).toEqual([0, 50, 150, 200]);
  });

  it('composites straight alpha over the letterbox grey; opaque skips it', () => {
    const data = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 128, 0, 0, 255, 255, 7, 7, 7, 0]);
    const lb = computeLetterbox(4, 1, 4, 1);
    const t = letterboxTensor({ data, width: 4, height: 1, channels: 4 }, lb);
    const red = Array.from(t.subarray(0, 4), (v) => Math.round(v * 255));
    // round(255 * 128 / 255) + round(114 * 127 / 255) = 128 + 57 for the half-transparent red.
    expect(red).toEqual([114, 185, 0, 114]);
    const raw = letterboxTensor({ data, width: 4, height: 1, channels: 4, opaque: true }, lb);
    expect(Array.from(raw.subarray(0, 4), (v) => Math.round(v * 255))).toEqual([255, 255, 0, 7]);
  });

  it('reuses `out` and accepts a Uint8ClampedArray (a canvas read)', () => {
    const img = noise(50, 40, 4, 9, true);
    const lb = computeLetterbox(50, 40, 32, 32);
    const out = new Float32Array(3 * 32 * 32);
    const clamped = { ...img, data: new Uint8ClampedArray(img.data.buffer) };
    expect(letterboxTensor(clamped, lb, out)).toBe(out);
    expect(out).toEqual(letterboxTensor(img, lb));
  });
});

describe('axisTaps', () => {
  it('gives non-negative integer weights summing to 256 inside the source, for any sizes', () => {
    for (const [src, dst] of [
      [4032, 480],
      [3024, 640],
      [1, 640],
      [640, 640],
      [7, 3],
      [100000, 640],
      [2, 5],
    ] as const) {
      const t = axisTaps(src, dst);
      for (let o = 0; o < dst; o++) {
        let sum = 0;
        for (let k = 0; k < t.count[o]!; k++) {
          const w = t.weights[o * t.maxTaps + k]!;
          expect(w).toBeGreaterThanOrEqual(0);
          sum += w;
        }
        expect(sum).toBe(RESAMPLE_ONE);
        expect(t.start[o]).toBeGreaterThanOrEqual(0);
        expect(t.start[o]! + t.count[o]!).toBeLessThanOrEqual(src);
      }
    }
  });

  it('is the identity at 1:1', () => {
    const t = axisTaps(5, 5);
    expect(Array.from(t.start)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(t.count)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('the committed kernel', () => {
  it('is what wat2wasm makes of letterbox.wat (pnpm --filter @shelfwatch/shared build:kernel)', async () => {
    const committed = readFileSync(new URL('../src/kernel/letterbox-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await kernelModuleText());
  });
});

/** First 16 hex digits of the SHA-256 of each case's tensor, computed once (the reference agreed). */
const GOLDEN = [
  'b1f55f7691b8f987',
  '796f94b4cdcce8ef',
  'b76873fa37355bf5',
  'a89aabfa67bb727d',
  'b5163b46a21704b6',
  '784b42d802f52265',
  '75362014347511fc',
];
