// Draws the app icons (192, 512, maskable 512) as PNGs with no image library: a shelf with products
// on the brand green. Run: node web/scripts/make-icons.mjs (the outputs are committed).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons');

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgbAt) {
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b] = rgbAt(x / size, y / size);
      const p = y * (size * 3 + 1) + 1 + x * 3;
      raw[p] = r;
      raw[p + 1] = g;
      raw[p + 2] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const GREEN = [11, 93, 59];
const WHITE = [255, 255, 255];
const PRODUCTS = [
  [255, 191, 71],
  [120, 200, 255],
  [255, 255, 255],
  [255, 140, 120],
];

/** Icon artwork in a unit square; `inset` shrinks it into the maskable safe zone. */
function artwork(inset) {
  return (u, v) => {
    const x = (u - inset) / (1 - 2 * inset);
    const y = (v - inset) / (1 - 2 * inset);
    if (x < 0.12 || x > 0.88 || y < 0.14 || y > 0.86) return GREEN;
    // Two shelves: a board under each row of products, one empty gap on the lower shelf.
    for (const [top, board] of [
      [0.2, 0.46],
      [0.54, 0.8],
    ]) {
      if (y >= board && y < board + 0.05) return WHITE;
      if (y >= top && y < board) {
        const slot = Math.floor((x - 0.12) / 0.19);
        const within = (x - 0.12) / 0.19 - slot;
        if (top > 0.5 && slot === 2) return GREEN;
        if (within > 0.1 && within < 0.9) return PRODUCTS[slot % PRODUCTS.length];
      }
    }
    return GREEN;
  };
}

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'icon-192.png'), png(192, artwork(0)));
writeFileSync(join(outDir, 'icon-512.png'), png(512, artwork(0)));
writeFileSync(join(outDir, 'icon-maskable-512.png'), png(512, artwork(0.12)));
console.log(`icons written to ${outDir}`);
