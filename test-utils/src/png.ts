import { crc32, deflateSync } from 'node:zlib';

/** The eight bytes every PNG starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** The IHDR of an 8-bit RGB, non-interlaced image of `width x height`. */
export function rgbIhdr(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  return ihdr;
}

/** A PNG from its IHDR and already-compressed IDAT data (one IDAT chunk). */
export function pngFromParts(ihdr: Buffer, idat: Buffer): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Encodes packed 8-bit RGB pixels (`width * height * 3` bytes, rows top to bottom) as a PNG. */
export function encodePngRgb(rgb: Uint8Array, width: number, height: number): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`PNG size must be positive integers, got ${width} x ${height}`);
  if (rgb.length !== width * height * 3)
    throw new RangeError(
      `expected ${width * height * 3} RGB bytes for ${width} x ${height}, got ${rgb.length}`,
    );
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height); // filter byte 0 (none) before every row
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  return pngFromParts(rgbIhdr(width, height), deflateSync(raw));
}

/** An RGB PNG of a toy shelf: grey background, two boards, coloured boxes standing on them, one gap. */
export function shelfPng(width = 320, height = 240): Buffer {
  const rgb = Buffer.alloc(width * height * 3, 200);
  const rect = (x0: number, y0: number, w: number, h: number, c: [number, number, number]) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) rgb.set(c, (y * width + x) * 3);
    }
  };
  for (const boardY of [110, 225]) {
    rect(0, boardY, width, 8, [90, 60, 30]);
    for (let i = 0; i < 6; i++) {
      if (i === 3) continue; // a gap
      rect(12 + i * 50, boardY - 80, 38, 80, [(40 * i) % 255, 80 + 20 * i, 200 - 25 * i]);
    }
  }
  return encodePngRgb(rgb, width, height);
}
