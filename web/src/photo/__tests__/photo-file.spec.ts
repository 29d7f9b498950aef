import { describe, expect, it } from 'vitest';
import { fitToPixels, needsDownscale } from '../limits.ts';
import { checkPhotoFile, MAX_JPEG_SEGMENTS, MAX_TRAILING_ZEROS } from '../photo-file.ts';

const u16 = (v: number) => [(v >> 8) & 255, v & 255];
const u32 = (v: number) => [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];

/**
 * SOI, an EXIF APP1 with IFD0 orientation (big-endian TIFF), `padding` bytes of APP6 segments (a phone's
 * maker notes), a SOF0 frame header, EOI.
 */
function jpeg(width: number, height: number, orientation?: number, complete = true, padding = 0): Uint8Array {
  const bytes = [0xff, 0xd8];
  if (orientation) {
    const tiff = [
      0x4d,
      0x4d,
      0,
      42,
      ...u32(8),
      ...u16(1),
      ...u16(0x0112),
      ...u16(3),
      ...u32(1),
      ...u16(orientation),
      0,
      0,
      ...u32(0),
    ];
    const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
    bytes.push(0xff, 0xe1, ...u16(payload.length + 2), ...payload);
  }
  for (let left = padding; left > 0; left -= 60_000) {
    const n = Math.min(left, 60_000);
    bytes.push(0xff, 0xe6, ...u16(n + 2), ...new Array<number>(n).fill(0x4d));
  }
  bytes.push(0xff, 0xc0, ...u16(17), 8, ...u16(height), ...u16(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1);
  bytes.push(0xff, 0xda, ...u16(12), 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0, 1, 2, 3);
  if (complete) bytes.push(0xff, 0xd9);
  return new Uint8Array(bytes);
}

const png = (w: number, h: number, complete = true) =>
  new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...u32(13),
    0x49,
    0x48,
    0x44,
    0x52,
    ...u32(w),
    ...u32(h),
    8,
    6,
    0,
    0,
    0,
    ...u32(0),
    ...(complete ? [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82] : [1, 2, 3]),
  ]);

const check = (b: Uint8Array) => checkPhotoFile(new Blob([b as Uint8Array<ArrayBuffer>]));
const EOI = [0xff, 0xd9];

describe('checkPhotoFile', () => {
  it('reads JPEG size and EXIF orientation; 5..8 swap the upright size', async () => {
    expect(await check(jpeg(4000, 3000))).toEqual({
      ok: true,
      info: {
        type: 'image/jpeg',
        width: 4000,
        height: 3000,
        orientation: 1,
        uprightWidth: 4000,
        uprightHeight: 3000,
      },
    });
    const r = await check(jpeg(4000, 3000, 6));
    expect(r.ok && [r.info.orientation, r.info.uprightWidth, r.info.uprightHeight]).toEqual([6, 3000, 4000]);
  });

  it('finds the frame header after a megabyte of APP segments (Moto G4 photos)', async () => {
    const r = await check(jpeg(4160, 2340, 6, true, 1_040_000));
    expect(r).toMatchObject({ ok: true, info: { width: 4160, height: 2340, orientation: 6 } });
  });

  it('finds the end marker before zero padding (a real photo had 156 KB), within MAX_TRAILING_ZEROS', async () => {
    const padded = (zeros: number) => {
      const j = jpeg(4000, 3000);
      const out = new Uint8Array(j.length + zeros);
      out.set(j);
      return out;
    };
    expect(await check(padded(156 * 1024))).toMatchObject({ ok: true, info: { width: 4000, height: 3000 } });
    expect(await check(padded(MAX_TRAILING_ZEROS + 70_000))).toMatchObject({
      ok: false,
      code: 'TRUNCATED_IMAGE',
    });
  });

  it('refuses a JPEG whose headers run past its end or never reach a frame header', async () => {
    // Cut inside the APP segments, the end marker put back (what a half-copied file can look like).
    const cut = jpeg(4160, 2340, 6, true, 300_000).slice(0, 200_000);
    expect(await check(new Uint8Array([...cut, ...EOI]))).toMatchObject({
      ok: false,
      code: 'TRUNCATED_IMAGE',
    });
    const garbage = new Uint8Array(64 * 1024).fill(0x5a);
    garbage.set([0xff, 0xd8, 0xff, 0xe0, 0, 16]);
    garbage.set(EOI, garbage.length - 2);
    expect(await check(garbage)).toMatchObject({ ok: false, code: 'NOT_AN_IMAGE' });
    const endless = [0xff, 0xd8];
    for (let i = 0; i <= MAX_JPEG_SEGMENTS; i++) endless.push(0xff, 0xe6, 0, 2);
    expect(await check(new Uint8Array([...endless, ...EOI]))).toMatchObject({
      ok: false,
      code: 'NOT_AN_IMAGE',
    });
  });

  it('refuses a cut-off JPEG and PNG', async () => {
    expect(await check(jpeg(10, 10, undefined, false))).toMatchObject({ ok: false, code: 'TRUNCATED_IMAGE' });
    expect(await check(png(10, 10, false))).toMatchObject({ ok: false, code: 'TRUNCATED_IMAGE' });
  });

  it('reads PNG and WebP sizes; refuses a WebP shorter than its RIFF size', async () => {
    expect(await check(png(640, 480))).toMatchObject({
      ok: true,
      info: { type: 'image/png', width: 640, height: 480 },
    });
    const vp8x = new Uint8Array(40);
    vp8x.set([0x52, 0x49, 0x46, 0x46, 32, 0, 0, 0, 0x57, 0x45, 0x42, 0x50, 0x56, 0x50, 0x38, 0x58]);
    vp8x.set([0x7f, 0x07, 0x00, 0xdf, 0x04, 0x00], 24); // 1920 x 1248
    expect(await check(vp8x)).toMatchObject({
      ok: true,
      info: { type: 'image/webp', width: 1920, height: 1248 },
    });
    expect(await check(vp8x.slice(0, 36))).toMatchObject({ ok: false, code: 'TRUNCATED_IMAGE' });
  });

  it('refuses anything else, whatever its name or MIME type said', async () => {
    expect(await check(new TextEncoder().encode('hello, not a photo'))).toMatchObject({
      ok: false,
      code: 'NOT_AN_IMAGE',
    });
    expect(await check(new TextEncoder().encode('GIF89a......'))).toMatchObject({
      ok: false,
      code: 'NOT_AN_IMAGE',
    });
    expect(await check(new Uint8Array(0))).toMatchObject({ ok: false, code: 'NOT_AN_IMAGE' });
  });
});

describe('limits', () => {
  const limits = { maxPixels: 50_000_000, maxBodyBytes: 20 * 1024 * 1024 };

  it('downscales only photos over the pixel or byte limit', () => {
    expect(needsDownscale(4000, 3000, 5e6, limits)).toBe(false);
    expect(needsDownscale(8200, 6200, 5e6, limits)).toBe(true);
    expect(needsDownscale(4000, 3000, 21e6, limits)).toBe(true);
  });

  it('fits the pixel limit exactly with the same aspect ratio', () => {
    const { width, height } = fitToPixels(8200, 6200, 50_000_000);
    expect(width * height).toBeLessThanOrEqual(50_000_000);
    expect(width * height).toBeGreaterThan(49_980_000);
    expect(width / height).toBeCloseTo(8200 / 6200, 3);
    expect(fitToPixels(100, 100, 1e6)).toEqual({ width: 100, height: 100 });
    expect(() => fitToPixels(0, 10, 10)).toThrow(RangeError);
  });
});
