import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createDeflate, deflateSync } from 'node:zlib';
import { needSharedData, pngFromParts, rgbIhdr } from '@shelfwatch/test-utils';
import sharp from 'sharp';
import { REPO_ROOT } from './build.js';

/** SVG of a synthetic shelf: rows of labelled packages on grey boards, one empty stretch. */
export function shelfSvg(width = 1200, height = 900): string {
  const colours = ['#c0392b', '#2980b9', '#27ae60', '#f39c12', '#8e44ad', '#16a085', '#d35400', '#2c3e50'];
  const rows = 4;
  const pitch = height / rows;
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#d8d4cc"/>`;
  let k = 0;
  for (let r = 0; r < rows; r++) {
    const board = Math.round(r * pitch + pitch * 0.86);
    s += `<rect x="0" y="${board}" width="${width}" height="${Math.round(pitch * 0.08)}" fill="#777"/>`;
    let x = 15;
    while (x < width - 90) {
      const w = 60 + ((k * 37) % 40);
      const h = Math.round(pitch * (0.55 + ((k * 53) % 30) / 100));
      if (r === 2 && x > width * 0.42 && x < width * 0.58) {
        x += Math.round(width * 0.18);
        continue;
      }
      s += `<rect x="${x}" y="${board - h}" width="${w}" height="${h}" rx="4" fill="${colours[k % 8]}" stroke="#222" stroke-width="2"/>`;
      s += `<rect x="${x + 8}" y="${board - h + 20}" width="${w - 16}" height="${Math.round(h / 3)}" fill="#fff" opacity="0.85"/>`;
      s += `<text x="${x + 10}" y="${board - h + 45}" font-size="14" font-family="sans-serif">BRAND</text>`;
      x += w + 8;
      k++;
    }
  }
  return `${s}</svg>`;
}

/** A synthetic shelf photo as JPEG (the shipped model finds products on it). */
export async function shelfJpeg(width = 1200, height = 900): Promise<Buffer> {
  return sharp(Buffer.from(shelfSvg(width, height)))
    .jpeg({ quality: 90 })
    .toBuffer();
}

/**
 * A tiny PNG (a few hundred bytes) whose IHDR declares `width x height` RGB pixels: a decompression
 * bomb's header. Its IDAT holds a little compressed data, far less than the header promises.
 */
export function pngDeclaring(width: number, height: number): Buffer {
  return pngFromParts(rgbIhdr(width, height), deflateSync(Buffer.alloc(4096)));
}

/** Real SKU-110K shelf photos, when the shared data folder is there (it is not on a user's machine). */
export const SHARED_PHOTOS_DIR = resolve(REPO_ROOT, '../shared/data/sku110k-shelf-sample/images');
/** Whether they are here, for tests that use them when they can (a synthetic photo otherwise). */
export const hasSharedPhotos = existsSync(SHARED_PHOTOS_DIR);
/** For tests that need them: false (skip, with a message) when absent, but a failure under CI=true. */
export const needSharedPhotos = () => needSharedData(SHARED_PHOTOS_DIR);

export function sharedPhoto(index = 0): Buffer {
  const files = readdirSync(SHARED_PHOTOS_DIR)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  return readFileSync(resolve(SHARED_PHOTOS_DIR, files[index % files.length]!));
}

/**
 * A JPEG whose EXIF IFD0 carries `entries` pointers (Exif, GPS, Interop IFD tags) back to IFD0
 * itself. libexif follows each one recursively up to its depth limit: with 5,000 entries (a 60 KB
 * EXIF) sharp's header read alone took 4 s and the decode 8 s on the development machine.
 */
export async function exifLoopJpeg(entries = 5_000): Promise<Buffer> {
  const base = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#888' } })
    .jpeg()
    .toBuffer();
  const tags = [0x8769, 0x8825, 0xa005];
  const n = Math.max(entries, 2);
  const tiff = Buffer.alloc(8 + 2 + n * 12 + 4);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(n, 8);
  for (let i = 0; i < n; i++) {
    const o = 10 + i * 12;
    const orientation = i === 0;
    tiff.writeUInt16LE(orientation ? 0x0112 : tags[i % 3]!, o);
    tiff.writeUInt16LE(orientation ? 3 : 4, o + 2); // SHORT orientation, else LONG offset
    tiff.writeUInt32LE(1, o + 4);
    tiff.writeUInt32LE(orientation ? 1 : 8, o + 8); // 8 = IFD0's own offset
  }
  tiff.writeUInt32LE(8, 10 + n * 12); // and the next-IFD link, to IFD0 again
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([base.subarray(0, 2), app1, payload, base.subarray(2)]);
}

/**
 * A valid, all-black RGB PNG of `width x height`, compressed as a stream (a 1 x 30,000,000 image is
 * ~120 KB but 120 MB of scanlines): libvips' cost is per row, so tall thin images decode slowly.
 */
export async function blackPng(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => deflate.once('end', r));
  const rowBytes = width * 3 + 1;
  const rowsPerChunk = Math.max(1, Math.floor((4 * 1024 * 1024) / rowBytes));
  const chunkOfRows = Buffer.alloc(rowsPerChunk * rowBytes);
  for (let rows = 0; rows < height; rows += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, height - rows);
    if (!deflate.write(chunkOfRows.subarray(0, n * rowBytes)))
      await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return pngFromParts(rgbIhdr(width, height), Buffer.concat(out));
}
