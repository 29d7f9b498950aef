// Shelf-row grouping micro-benchmark on synthetic shelf layouts (seeded): two fixtures side by side,
// rows converging (a perspective warp), mixed product sizes, missing products, some two-high stacks
// and a few spurious boxes. Prints medians measured in this run (measure, don't assert).
// Run: pnpm --filter @shelfwatch/shared bench:rows

import { analyzeShelf, type BoxXyxy } from '../src/index.js';
import { seededRandom as rng } from '../src/random.js';

/** About `target` boxes on `shelves` shelves of two fixtures, warped so that rows converge. */
function layout(target: number, shelves: number, seed: number): { box: BoxXyxy }[] {
  const r = rng(seed);
  const perShelf = Math.ceil(target / shelves / 2);
  const pitch = 130;
  const boxes: { box: BoxXyxy }[] = [];
  // Perspective: y is scaled about the image's middle height more on the right (rows converge).
  const width = 2 * perShelf * 48 + 120;
  const warp = (x: number, y: number): [number, number] => {
    const s = 1 - (0.25 * x) / width;
    return [x, (shelves * pitch) / 2 + (y - (shelves * pitch) / 2) * s];
  };
  const put = (x1: number, y1: number, x2: number, y2: number) => {
    const [ax, ay] = warp(x1, y1);
    const [bx, by] = warp(x2, y2);
    boxes.push({ box: [ax, Math.min(ay, by), bx, Math.max(ay, by)] });
  };
  for (let f = 0; f < 2; f++) {
    const x0 = f * (perShelf * 48 + 120);
    const offset = f * 25; // the second fixture's shelves sit lower
    for (let s = 0; s < shelves; s++) {
      const floor = (s + 1) * pitch + offset;
      let x = x0;
      for (let k = 0; k < perShelf; k++) {
        const w = 30 + r() * 20;
        const h = 60 + r() * 50;
        if (r() > 0.06) {
          put(x, floor - h, x + w, floor);
          if (r() < 0.08) put(x, floor - 2 * h, x + w, floor - h); // stacked on it
        }
        x += w + 2 + r() * 6;
      }
    }
  }
  for (let k = 0; k < target / 100; k++) {
    const x = r() * width;
    const y = r() * shelves * pitch;
    boxes.push({ box: [x, y, x + 40 + r() * 200, y + 40 + r() * 200] });
  }
  return boxes;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const cases = [
  { name: '150 boxes, 6 shelves x 2 fixtures', boxes: layout(150, 6, 1) },
  { name: '300 boxes, 8 shelves x 2 fixtures', boxes: layout(300, 8, 2) },
  { name: '1,000 boxes, 12 shelves x 2 fixtures', boxes: layout(1000, 12, 3) },
];
const results: { name: string; n: number; rows: number; ms: number }[] = [];
// Warm the JIT up on every case first, so the first case timed is not the one paying for it.
for (let i = 0; i < 30; i++) for (const c of cases) analyzeShelf(c.boxes);
for (const c of cases) {
  const t: number[] = [];
  let rows = 0;
  for (let i = 0; i < 51; i++) {
    const t0 = performance.now();
    rows = analyzeShelf(c.boxes).rows.length;
    t.push(performance.now() - t0);
  }
  results.push({ name: c.name, n: c.boxes.length, rows, ms: median(t) });
}
console.log('| layout | boxes | rows | analyzeShelf median |');
console.log('| --- | --- | --- | --- |');
for (const r of results) console.log(`| ${r.name} | ${r.n} | ${r.rows} | ${r.ms.toFixed(2)} ms |`);
const [small, , large] = results;
console.log(
  `\n1,000 / 150 boxes: ${(large!.ms / small!.ms).toFixed(1)}x the time for ${(large!.n / small!.n).toFixed(1)}x the boxes`,
);
