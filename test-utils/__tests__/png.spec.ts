import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePngRgb, PNG_SIGNATURE, pngChunk, shelfPng } from '../src/png.js';

/** The chunks of a PNG, each CRC checked: a minimal reader written from the PNG specification. */
function readChunks(png: Buffer): { type: string; data: Buffer }[] {
  expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  const chunks: { type: string; data: Buffer }[] = [];
  for (let o = 8; o < png.length; ) {
    const length = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + length);
    expect(png.readUInt32BE(o + 8 + length), `CRC of ${type}`).toBe(
      crc32(png.subarray(o + 4, o + 8 + length)),
    );
    chunks.push({ type, data });
    o += 12 + length;
  }
  return chunks;
}

describe('encodePngRgb', () => {
  it('writes IHDR, IDAT and IEND whose scanlines are the pixels given', () => {
    const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 7);
    const chunks = readChunks(encodePngRgb(rgb, 3, 2));
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ...ihdr.subarray(8)]).toEqual([3, 2, 8, 2, 0, 0, 0]);
    const raw = inflateSync(chunks[1]!.data);
    expect(raw.length).toBe(2 * (1 + 9));
    expect([raw[0], raw[10]]).toEqual([0, 0]); // filter type "none" on each row
    expect([...raw.subarray(1, 10), ...raw.subarray(11)]).toEqual([...rgb]);
  });

  it('names the bad value', () => {
    expect(() => encodePngRgb(new Uint8Array(5), 1, 2)).toThrow(/expected 6 RGB bytes for 1 x 2, got 5/);
    expect(() => encodePngRgb(new Uint8Array(0), 0, 2)).toThrow(/0 x 2/);
  });

  it('pngChunk stores the length and a CRC over type and data', () => {
    const c = pngChunk('tEXt', Buffer.from('a=b'));
    expect(c.readUInt32BE(0)).toBe(3);
    expect(c.readUInt32BE(11)).toBe(crc32(Buffer.from('tEXta=b', 'latin1')));
  });
});

describe('shelfPng', () => {
  it('is a 320 x 240 shelf: background, boards and products, with a gap', () => {
    const chunks = readChunks(shelfPng());
    const raw = inflateSync(chunks[1]!.data);
    const px = (x: number, y: number) => [...raw.subarray(y * 961 + 1 + x * 3, y * 961 + 4 + x * 3)];
    expect(px(5, 5)).toEqual([200, 200, 200]); // background
    expect(px(160, 112)).toEqual([90, 60, 30]); // the first board
    expect(px(20, 60)).toEqual([0, 80, 200]); // the first product
    expect(px(170, 60)).toEqual([200, 200, 200]); // the gap (4th slot)
  });
});
