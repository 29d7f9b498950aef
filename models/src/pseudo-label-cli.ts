/**
 * Pseudo-labels for self-training: a detector's own boxes on unlabelled real shelf photos, cleaned,
 * written as a training split (`<key>.jpg` + `labels.json` in the renders' JSON layout, `{ images: [{ file,
 * boxes }] }`) that `shelfwatch_train.train --data` reads.
 *
 *   node models/dist/pseudo-label-cli.js --model shelfwatch-det-0.3.0.fp32.onnx \
 *     --photos ../shared/data/sku110k-test-unlabeled/images --out models/.cache/pseudo [--conf 0.3] [--long 800]
 *
 * Each photo goes through the shipped pipeline (EXIF-upright decode, detection, shelf rows) at `--conf`, and its boxes are cleaned of what the card names as the model's own
 * errors: rows of a single box (strays), boxes taller than 1.6x their row's median (spanning two
 * shelves), boxes lying 70 % inside a larger one (fragments) and boxes holding two or more of those
 * (group boxes). The photo is written upright with its longest side `--long` px (the scale the
 * model sees a whole photo at) and grey 114 outside the rows' boxes, so that the products the
 * detector missed there are not taught as background; inside a row they still are.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type BoxXyxy, LETTERBOX_PAD_VALUE } from '@shelfwatch/shared';
import sharp from 'sharp';
import { parseCommandLine } from './cli-args.js';
import { Detector } from './detector.js';
import { containedIn, NESTED_SHARE } from './real-proxy.js';

const USAGE = `Usage: node models/dist/pseudo-label-cli.js --model file.onnx --photos DIR --out DIR [--conf 0.3] [--long 800]`;

const { values, decimal, refuse } = parseCommandLine(
  {
    model: { type: 'string' },
    photos: { type: 'string' },
    out: { type: 'string' },
    conf: { type: 'string', default: '0.3' },
    long: { type: 'string', default: '800' },
  },
  USAGE,
);

/** A box taller than this x its row's median height spans two shelves. */
const TALL = 1.6;

/** Indices of the boxes kept as labels (see the file comment). O(n^2) for n boxes. */
function cleanBoxes(boxes: readonly Readonly<BoxXyxy>[], rowOf: readonly number[]): number[] {
  const drop = new Set<number>();
  const rows = new Map<number, number[]>();
  rowOf.forEach((r, i) => {
    const members = rows.get(r);
    if (members) members.push(i);
    else rows.set(r, [i]);
  });
  for (const members of rows.values()) {
    if (members.length < 2) {
      for (const i of members) drop.add(i);
      continue;
    }
    const heights = members.map((i) => boxes[i]![3] - boxes[i]![1]).sort((a, b) => a - b);
    const median = heights[heights.length >> 1]!;
    for (const i of members) if (boxes[i]![3] - boxes[i]![1] > TALL * median) drop.add(i);
  }
  // Fragments (nested in a larger box, as the row proxy counts them) and group boxes holding two or more.
  containedIn(boxes, NESTED_SHARE).forEach((inner, i) => {
    for (const j of inner) drop.add(j);
    if (inner.length >= 2) drop.add(i);
  });
  return boxes.map((_, i) => i).filter((i) => !drop.has(i));
}

async function main(): Promise<void> {
  const { model, photos, out } = values;
  if (!model || !photos || !out) return refuse('--model, --photos and --out are required');
  const conf = decimal('conf', values.conf);
  const long = decimal('long', values.long);
  const files = readdirSync(photos)
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort();
  mkdirSync(out, { recursive: true });
  const det = await Detector.load(model, 2);
  const images: { file: string; boxes: BoxXyxy[] }[] = [];
  let found = 0;
  let kept = 0;
  for (const f of files) {
    const bytes = readFileSync(join(photos, f));
    const r = await det.detect(bytes, { conf });
    const boxes = r.detections.map((d) => d.box);
    const keep = cleanBoxes(
      boxes,
      r.detections.map((d) => d.row),
    );
    const { width: W, height: H } = r.image;
    const s = long / Math.max(W, H);
    const w = Math.round(W * s);
    const h = Math.round(H * s);
    const scaled = keep.map((i) => boxes[i]!.map((v) => v * s) as BoxXyxy);
    // Grey outside the rows' boxes (each row: the extent of its kept boxes).
    const bands = new Map<number, BoxXyxy>();
    keep.forEach((i, k) => {
      const row = r.detections[i]!.row;
      const b = scaled[k]!;
      const band = bands.get(row);
      if (!band) bands.set(row, [...b]);
      else
        bands.set(row, [
          Math.min(band[0], b[0]),
          Math.min(band[1], b[1]),
          Math.max(band[2], b[2]),
          Math.max(band[3], b[3]),
        ]);
    });
    const { data } = await sharp(bytes)
      .rotate()
      .resize(w, h, { kernel: 'lanczos3' })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const inBand = new Uint8Array(w * h);
    for (const [x1, y1, x2, y2] of bands.values())
      for (let y = Math.floor(y1); y < Math.min(h, Math.ceil(y2)); y++)
        inBand.fill(1, y * w + Math.floor(x1), y * w + Math.min(w, Math.ceil(x2)));
    for (let p = 0; p < w * h; p++) if (!inBand[p]) data.fill(LETTERBOX_PAD_VALUE, 3 * p, 3 * p + 3);
    const key = basename(f).replace(/\.\w+$/, '');
    await sharp(data, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 92 })
      .toFile(join(out, `${key}.jpg`));
    images.push({
      file: `${key}.jpg`,
      boxes: scaled.map((b) => b.map((v) => Math.round(v * 100) / 100) as BoxXyxy),
    });
    found += boxes.length;
    kept += keep.length;
    console.log(
      `${key}: ${W}x${H} -> ${w}x${h}, ${boxes.length} boxes, ${keep.length} kept, ${bands.size} rows`,
    );
  }
  await det.release();
  writeFileSync(join(out, 'labels.json'), `${JSON.stringify({ images })}\n`);
  console.log(`${files.length} photos: ${kept} of ${found} boxes kept -> ${out}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
