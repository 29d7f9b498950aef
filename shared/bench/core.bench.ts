// Core micro-benchmark, one run, medians (measure, don't assert):
//  1. the model input of a 12 MP photo: letterbox resample fused with the tensor layout (`resize`) and
//     the copy into the session's input (`tensor`), for RGB (the server's sharp decode), opaque RGBA
//     (the PWA's canvas read of a JPEG) and RGBA composited over grey (a PNG with alpha);
//  2. decode + NMS (+ labels, + shelf rows) of synthetic YOLOv8 outputs with a realistic score
//     distribution: most anchors near zero, ~1,100 products each lighting up a cluster of
//     overlapping anchors, so that 1,000 are kept (the default cap) at 8,400 and 33,600 anchors.
// Run: pnpm bench:core (= pnpm --filter @shelfwatch/shared bench)

import {
  attachShelfRows,
  computeLetterbox,
  DEFAULT_CONF,
  DEFAULT_IOU,
  DEFAULT_MAX_DETECTIONS,
  type DecodedImage,
  DetectionPipeline,
  decodeYolo,
  describeModel,
  type Letterbox,
  nms,
  postprocess,
} from '../src/index.js';
import { seededRandom as rng } from '../src/random.js';

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

function photo(width: number, height: number, channels: 3 | 4, opaque: boolean): DecodedImage {
  const r = rng(width);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (r() * 256) | 0;
  if (channels === 4) for (let i = 3; i < data.length; i += 4) data[i] = opaque ? 255 : data[i]!;
  return { data, width, height, channels, opaque };
}

const pipeline = new DetectionPipeline(describeModel({ imgsz: '[640, 640]' }), async () => {
  throw new Error('not run');
});
console.log(`# core benchmark — ${new Date().toISOString()}, Node ${process.version}`);
console.log(
  '## model input of a 12 MP photo (4032x3024 -> 640x480 in 640x640), medians of 31 after 5 warm-ups',
);
for (const [label, image] of [
  ['RGB (server: sharp)', photo(4032, 3024, 3, false)],
  ['RGBA opaque (PWA: canvas read of a JPEG)', photo(4032, 3024, 4, true)],
  ['RGBA over grey (PNG with alpha)', photo(4032, 3024, 4, false)],
] as const) {
  const resize: number[] = [];
  const tensor: number[] = [];
  const both: number[] = [];
  for (let k = 0; k < 36; k++) {
    const p = pipeline.prepare(image);
    if (k < 5) continue;
    resize.push(p.resizeMs);
    tensor.push(p.tensorMs);
    both.push(p.resizeMs + p.tensorMs);
  }
  console.log(
    `${label}: resize ${median(resize).toFixed(2)} ms, tensor ${median(tensor).toFixed(2)} ms, ` +
      `resize + tensor ${median(both).toFixed(2)} ms (min ${Math.min(...both).toFixed(2)})`,
  );
}

const cases: Case[] = [
  { name: 'YOLOv8 640 (8,400 candidates, 1 class)', n: 8400, input: 640, objects: 1100, dupes: 5 },
  { name: 'dense 1280 (33,600 candidates, 1 class)', n: 33600, input: 1280, objects: 1100, dupes: 20 },
];
const runs = 101;
console.log(
  `## decode + NMS, conf ${DEFAULT_CONF}, IoU ${DEFAULT_IOU}, max ${DEFAULT_MAX_DETECTIONS}, medians of ${runs} after 20 warm-ups`,
);
const results: { name: string; total: number }[] = [];
for (const c of cases) {
  const lb = computeLetterbox(3024, 4032, c.input, c.input); // a portrait phone photo
  const output = makeOutput(c, lb);
  const dims = [1, 5, c.n];
  const opts = { iouThreshold: DEFAULT_IOU, maxDetections: DEFAULT_MAX_DETECTIONS };
  const decodeMs: number[] = [];
  const nmsMs: number[] = [];
  const totalMs: number[] = [];
  const rowsMs: number[] = [];
  let candidates = 0;
  let rows = 0;
  let kept = 0;
  for (let k = 0; k < 20; k++) postprocess(output, dims, { letterbox: lb }); // warm-up (JIT)
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    const cand = decodeYolo(output, dims, { confThreshold: DEFAULT_CONF, letterbox: lb });
    const t1 = performance.now();
    const keep = nms(cand.boxes, cand.scores, cand.classIds, cand.count, opts);
    const t2 = performance.now();
    const found = postprocess(output, dims, { letterbox: lb });
    const t3 = performance.now();
    rows = attachShelfRows(found).shelf.rows.length;
    const t4 = performance.now();
    decodeMs.push(t1 - t0);
    nmsMs.push(t2 - t1);
    totalMs.push(t3 - t2);
    rowsMs.push(t4 - t3);
    candidates = cand.count;
    kept = keep.length;
  }
  const total = median(totalMs);
  results.push({ name: c.name, total });
  console.log(
    `${c.name}: decode ${median(decodeMs).toFixed(3)} ms, nms ${median(nmsMs).toFixed(3)} ms, ` +
      `decode + NMS + labels ${total.toFixed(3)} ms; ${candidates} candidates >= ${DEFAULT_CONF}, ${kept} kept; ` +
      `shelf rows ${median(rowsMs).toFixed(2)} ms (${rows} rows)`,
  );
}
console.log(
  `dense / YOLOv8 ratio: ${(results[1]!.total / results[0]!.total).toFixed(2)}x (Node ${process.version})`,
);
