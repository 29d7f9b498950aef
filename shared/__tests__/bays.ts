// Test fixtures shared by the shelf-row and pipeline specs: two gondola bays side by side whose
// products overhang the upright, and their photo.
import type { BoxXyxy, DecodedImage } from '../src/index.js';
import { seededRandom as rng } from '../src/random.js';

/**
 * Two gondola bays side by side with no gap between them: an upright at `upright` ends the shelf
 * boards of both, and the products beside it overhang it (the left bay's last product reaches 8 px
 * past it, the right bay's first starts 6 px before it), so that no boundary of the boxes lines up
 * there. Truth: bay-shelf `2 * shelf + side`.
 */
export function twoBays(
  seed: number,
  shelves: number,
  upright: number,
): { boxes: BoxXyxy[]; truth: number[] } {
  const r = rng(seed);
  const boxes: BoxXyxy[] = [];
  const truth: number[] = [];
  const put = (x1: number, x2: number, floor: number, label: number) => {
    boxes.push([x1, floor - (55 + r() * 50), x2, floor]);
    truth.push(label);
  };
  for (let s = 0; s < shelves; s++) {
    const floor = (s + 1) * 130;
    for (let x = upright + 8; x > 40; ) {
      const w = 30 + r() * 25;
      put(x - w, x, floor, 2 * s);
      x -= w + 1 + r() * 6;
    }
    for (let x = upright - 6; x < 2 * upright - 40; ) {
      const w = 30 + r() * 25;
      put(x, x + w, floor, 2 * s + 1);
      x += w + 1 + r() * 6;
    }
  }
  return { boxes, truth };
}

/**
 * The photo of `twoBays`: a bright price strip 22 px tall under every shelf, on a darker back, cut by
 * the upright (a 5 px dark line) where `seamIn` says; every strip also holds a barcode (short dark
 * bars over its top half), a price tag and a wide dark label, none of them a seam.
 */
export function baysPhoto(
  shelves: number,
  upright: number,
  seamIn: (shelf: number) => boolean,
): DecodedImage {
  const width = 2 * upright + 40;
  const height = (shelves + 1) * 130;
  const data = new Uint8Array(width * height * 3).fill(90);
  const fill = (x1: number, y1: number, x2: number, y2: number, v: number) => {
    for (let y = y1; y < y2; y++) data.fill(v, (y * width + x1) * 3, (y * width + x2) * 3);
  };
  for (let s = 0; s < shelves; s++) {
    const top = (s + 1) * 130 + 1;
    fill(0, top, width, top + 22, 225);
    for (let k = 0; k < 6; k++) fill(200 + 40 * s + 3 * k, top + 2, 201 + 40 * s + 3 * k, top + 11, 30);
    fill(420 + 25 * s, top + 10, 452 + 25 * s, top + 22, 150);
    fill(upright + 120 + 30 * s, top, upright + 160 + 30 * s, top + 22, 40);
    if (seamIn(s)) fill(upright - 2, top, upright + 3, top + 22, 40);
  }
  return { data, width, height, channels: 3 };
}
