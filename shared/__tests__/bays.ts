// Test fixture shared by the shelf-row and pipeline specs: two gondola bays side by side whose
// products overhang the upright.
import type { BoxXyxy } from '../src/index.js';
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
