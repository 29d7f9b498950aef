// Decode + NMS micro-benchmark on synthetic YOLOv8 outputs with a realistic score distribution:
// most anchors near zero, ~200 products each lighting up a cluster of overlapping anchors with high,
// jittered scores. Prints medians measured in this run (STYLE.md: measure, don't assert).
// Run: pnpm --filter @shelfwatch/shared bench
import {
  computeLetterbox,
  DEFAULT_CONF,
  DEFAULT_IOU,
  DEFAULT_MAX_DETECTIONS,
  decodeYolo,
  type Letterbox,
  nms,
  postprocess,
} from '../src/index.js';

/** Small deterministic PRNG (mulberry32) so every run benchmarks the same tensor. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  name: string;
  n: number;
  input: number;
  objects: number;
  dupes: number;
}

function makeOutput(c: Case, lb: Letterbox): Float32Array {
  const r = rng(c.n);
  const out = new Float32Array(5 * c.n);
  const n = c.n;
  const set = (i: number, cx: number, cy: number, w: number, h: number, s: number) => {
    out[i] = cx;
    out[n + i] = cy;
    out[2 * n + i] = w;
    out[3 * n + i] = h;
    out[4 * n + i] = s;
  };
  // Background: random boxes, scores skewed to 0 and all below the 0.25 threshold (r^4 * 0.2),
  // plus 20 spurious medium-score false positives.
  for (let i = 0; i < n; i++)
    set(i, r() * c.input, r() * c.input, 5 + r() * 60, 5 + r() * 80, r() ** 4 * 0.2);
  for (let k = 0; k < 20; k++) {
    set(Math.floor(r() * n), r() * c.input, r() * c.input, 10 + r() * 60, 10 + r() * 80, 0.25 + r() * 0.3);
  }
  // Products on a shelf grid, each with `dupes` jittered duplicates at random anchors.
  const cols = Math.ceil(Math.sqrt(c.objects * 2));
  const rows = Math.ceil(c.objects / cols);
  // The grid covers the photo's part of the input, not the letterbox padding.
  const w = lb.newWidth / cols;
  const h = lb.newHeight / rows;
  for (let o = 0; o < c.objects; o++) {
    const cx = lb.padLeft + ((o % cols) + 0.5) * w;
    const cy = lb.padTop + (Math.floor(o / cols) + 0.5) * h;
    const peak = 0.6 + r() * 0.35;
    for (let d = 0; d < c.dupes; d++) {
      const i = Math.floor(r() * n);
      const j = () => (r() - 0.5) * 0.15;
      set(i, cx + j() * w, cy + j() * h, w * 0.9 * (1 + j()), h * 0.9 * (1 + j()), peak * (0.4 + 0.6 * r()));
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const cases: Case[] = [
  { name: 'YOLOv8 640 (8,400 candidates, 1 class)', n: 8400, input: 640, objects: 200, dupes: 12 },
  { name: 'dense 1280 (33,600 candidates, 1 class)', n: 33600, input: 1280, objects: 200, dupes: 40 },
];
const runs = 101;
const results: { name: string; total: number }[] = [];
for (const c of cases) {
  const lb = computeLetterbox(3024, 4032, c.input, c.input); // a portrait phone photo
  const output = makeOutput(c, lb);
  const dims = [1, 5, c.n];
  const opts = { iouThreshold: DEFAULT_IOU, maxDetections: DEFAULT_MAX_DETECTIONS };
  const decodeMs: number[] = [];
  const nmsMs: number[] = [];
  const totalMs: number[] = [];
  let candidates = 0;
  let kept = 0;
  for (let k = 0; k < 20; k++) postprocess(output, dims, { letterbox: lb }); // warm-up (JIT)
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const cand = decodeYolo(output, dims, { confThreshold: DEFAULT_CONF, letterbox: lb });
    const t1 = performance.now();
    const keep = nms(cand.boxes, cand.scores, cand.classIds, cand.count, opts);
    const t2 = performance.now();
    postprocess(output, dims, { letterbox: lb });
    const t3 = performance.now();
    decodeMs.push(t1 - t0);
    nmsMs.push(t2 - t1);
    totalMs.push(t3 - t2);
    candidates = cand.count;
    kept = keep.length;
  }
  const total = median(totalMs);
  results.push({ name: c.name, total });
  console.log(
    `${c.name}: decode ${median(decodeMs).toFixed(3)} ms, nms ${median(nmsMs).toFixed(3)} ms, ` +
      `postprocess (decode+NMS+labels) ${total.toFixed(3)} ms median of ${runs}; ` +
      `${candidates} candidates >= ${DEFAULT_CONF}, ${kept} kept`,
  );
}
console.log(
  `dense / YOLOv8 ratio: ${(results[1]!.total / results[0]!.total).toFixed(2)}x (Node ${process.version})`,
);
