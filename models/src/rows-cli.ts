/**
 * Shelf-row grouping on the SKU-110K sample: split, merge and stray rates of `analyzeShelf`'s rows
 * against the labelled rows, beside the per-row count error on the hand-counted rows
 * (`row-counts.json`), for the detector alone and as read from the rows; and the fixture breaks
 * against the labelled bay joints (where labelled rows side by side meet: `joints.ts`).
 *
 *   pnpm model:rows [--real ../shared/data/sku110k-shelf-sample] [--model file.onnx] [--out rows.json]
 *                   [--per-photo]
 *
 * The detector runs once per model file and photo set; its detections (conf >= 0.05, at most 3,000,
 * NMS at `--iou`) are cached in models/.cache/rows/, so reruns only regroup. Thresholds above the
 * cached floor give the same detections as a fresh run: greedy NMS keeps a box only for higher-scored
 * boxes, so raising the score threshold afterwards drops exactly the boxes below it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { resolveModelPath } from '@shelfwatch/server/inference';
import {
  analyzeShelfWithMembers,
  type BoxXyxy,
  bootstrapMeanInterval,
  countErrors,
  DEFAULT_CONF,
  DEFAULT_IOU,
  DEFAULT_MAX_DETECTIONS,
  evaluateRows,
  type RowEvalPhoto,
  type RowEvaluation,
} from '@shelfwatch/shared';
import { parseCommandLine } from './cli-args.js';
import { Detector } from './detector.js';
import { type JointMatch, matchJoints } from './joints.js';
import { listPhotos, readRowLabels } from './real-proxy.js';

const CACHE_CONF = 0.05;
const CACHE_MAX = 3000;

const USAGE = `Usage: pnpm model:rows [--real DIR] [--model file.onnx] [--conf ${DEFAULT_CONF}] [--iou ${DEFAULT_IOU}]
         [--max-detections ${DEFAULT_MAX_DETECTIONS}] [--cache DIR] [--out rows.json] [--per-photo]`;

const { values, decimal } = parseCommandLine(
  {
    real: { type: 'string', default: '../shared/data/sku110k-shelf-sample' },
    model: { type: 'string' },
    conf: { type: 'string', default: String(DEFAULT_CONF) },
    iou: { type: 'string', default: String(DEFAULT_IOU) },
    'max-detections': { type: 'string', default: String(DEFAULT_MAX_DETECTIONS) },
    cache: { type: 'string', default: 'models/.cache/rows' },
    out: { type: 'string' },
    'per-photo': { type: 'boolean', default: false },
  },
  USAGE,
);

interface CachedPhoto {
  name: string;
  width: number;
  height: number;
  /** `[x1, y1, x2, y2, score]`, highest score first. */
  detections: [number, number, number, number, number][];
}

/**
 * 95 % bootstrap intervals over the hand-counted rows: of the detector's MAPE, and of what reading
 * the count off the detected row (within the labelled span) adds to it, paired row by row (the
 * target is that the rows add nothing: an interval holding 0).
 */
function handIntervals(counted: RowEvaluation['counted']): string {
  const det = countErrors(counted, 'detector');
  const span = countErrors(counted, 'rowsInSpan');
  const d = bootstrapMeanInterval(det);
  const add = bootstrapMeanInterval(span.map((e, k) => e - det[k]!));
  const f = (v: number) => v.toFixed(1);
  return `  95 % intervals: detector MAPE ${f(d.lo)}-${f(d.hi)} %; the rows within the span add ${f(add.mean)} points (${f(add.lo)} to ${f(add.hi)})`;
}

async function shippedModel(): Promise<string> {
  return (await resolveModelPath({ MODEL_PATH: '', MANIFEST_PATH: resolve('models/manifest.json') })).path;
}

async function detectPhotos(
  model: string,
  photos: { image: string }[],
  iou: number,
  cacheDir: string,
): Promise<CachedPhoto[]> {
  const sha = createHash('sha256').update(readFileSync(model)).digest('hex').slice(0, 16);
  const key = createHash('sha256')
    .update(JSON.stringify({ sha, iou, pipeline: 'shared', photos: photos.map((p) => basename(p.image)) }))
    .digest('hex')
    .slice(0, 16);
  const file = join(cacheDir, `${basename(model, '.onnx')}-${key}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as CachedPhoto[];
  console.log(`running ${model} on ${photos.length} photos (cached in ${file})`);
  const det = await Detector.load(model, 2);
  const out: CachedPhoto[] = [];
  for (const p of photos) {
    const found = await det.detect(p.image, { conf: CACHE_CONF, iou, maxDetections: CACHE_MAX });
    out.push({
      name: basename(p.image).replace(/\.\w+$/, ''),
      width: found.image.width,
      height: found.image.height,
      detections: found.detections.map((d) => [...d.box, d.score]),
    });
  }
  await det.release();
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(file, JSON.stringify(out));
  return out;
}

const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

/** The break finder against the labelled bay joints of all photos. */
function jointSummary(matches: readonly JointMatch[]): string {
  let joints = 0;
  let pairs = 0;
  let found = 0;
  let elsewhere = 0;
  let cut = 0;
  for (const m of matches) {
    joints += m.joints.length;
    pairs += m.joints.reduce((s, j) => s + j.pairs, 0);
    found += m.found;
    elsewhere += m.elsewhere;
    cut += m.rowsCut;
  }
  return `bay joints (labelled rows side by side): ${joints} joints (${pairs} pairs of rows), ${found} found by a fixture break; ${elsewhere} breaks at no labelled joint, cutting ${cut} labelled rows`;
}

async function main(): Promise<void> {
  const dir = values.real;
  if (!existsSync(join(dir, 'images'))) {
    console.log(`skipped: no SKU-110K sample at ${resolve(dir)} (pass --real DIR)`);
    return;
  }
  const conf = decimal('conf', values.conf);
  const iou = decimal('iou', values.iou);
  const maxDetections = decimal('max-detections', values['max-detections']);
  const model = values.model ?? (await shippedModel());
  const photos = listPhotos(dir);
  const cached = await detectPhotos(model, photos, iou, values.cache);
  const countsFile = join(dir, 'row-counts.json');
  const hand = existsSync(countsFile)
    ? (
        JSON.parse(readFileSync(countsFile, 'utf8')) as {
          rows: { photo: string; row: number; count: number }[];
        }
      ).rows
    : [];
  const evalPhotos: RowEvalPhoto[] = [];
  const jointMatches: JointMatch[] = [];
  const times: number[] = [];
  for (const [k, c] of cached.entries()) {
    const boxes = c.detections
      .filter((d) => d[4] >= conf)
      .slice(0, maxDetections)
      .map((d): BoxXyxy => [d[0], d[1], d[2], d[3]]);
    const t0 = performance.now();
    const { rowOf, breaks } = analyzeShelfWithMembers(boxes.map((box) => ({ box })));
    times.push(performance.now() - t0);
    const labelled = readRowLabels(photos[k]!.label, c.width, c.height);
    jointMatches.push(matchJoints(labelled, breaks, c.width));
    evalPhotos.push({
      boxes,
      rowOf,
      labelled,
      counted: hand.filter((h) => h.photo === c.name).map((h) => ({ row: h.row, count: h.count })),
    });
  }
  const e = evaluateRows(evalPhotos);
  const within10 = (key: 'detector' | 'rows' | 'rowsInSpan') =>
    e.counted.filter((c) => Math.abs(c[key] - c.count) <= 0.1 * c.count).length / e.counted.length;
  times.sort((a, b) => a - b);
  const lines = [
    `${basename(model)} on ${cached.length} photos, conf ${conf}, iou ${iou}, max ${maxDetections}: ${evalPhotos.reduce((s, p) => s + p.boxes.length, 0)} detections`,
    `detected rows ${e.detectedRows}, labelled rows ${e.labelledRows}`,
    `merged rows ${pct(e.mergedRate)} (${e.mergedRows} of ${e.judgedDetectedRows} judged detected rows; ${e.mergedSideBySide} join labelled rows side by side, ${e.mergedRows - e.mergedSideBySide} join shelves one above the other)`,
    `split rows  ${pct(e.splitRate)} (${e.splitRows} of ${e.judgedLabelledRows} judged labelled rows; ${e.splitSideBySide} cut along the shelf, ${e.splitRows - e.splitSideBySide} into layers)`,
    `stray rows  ${pct(e.strayRate)} (${e.strayRows} of ${e.detectedRows} detected rows)`,
    `hand-counted rows (${e.counted.length}): detector MAPE ${e.detectorCountMape.toFixed(1)} % (${pct(within10('detector'))} within 10 %), rows MAPE ${e.rowsCountMape.toFixed(1)} % (${pct(within10('rows'))} within 10 %), rows within the labelled span MAPE ${e.rowsInSpanCountMape.toFixed(1)} % (${pct(within10('rowsInSpan'))} within 10 %)`,
    ...(e.counted.length ? [handIntervals(e.counted)] : []),
    jointSummary(jointMatches),
    `analyzeShelf per photo: median ${times[times.length >> 1]!.toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms`,
  ];
  console.log(lines.join('\n'));
  if (values['per-photo']) {
    const each = evalPhotos.map((p, k) => ({ k, name: cached[k]!.name, e: evaluateRows([p]) }));
    each.sort(
      (p, q) =>
        q.e.mergedRows - p.e.mergedRows || q.e.splitRows - p.e.splitRows || (p.name < q.name ? -1 : 1),
    );
    console.log(
      'photo: merged (side by side) of judged detected, split (along) of judged labelled, stray; hand counts',
    );
    for (const { k, name, e: pe } of each) {
      const hand = pe.counted
        .map((c) => ` count ${c.count}: detector ${c.detector}, rows ${c.rows}`)
        .join(';');
      const j = jointMatches[k]!;
      const joints =
        j.joints.length || j.elsewhere
          ? ` joints ${j.found} of ${j.joints.length}, breaks elsewhere ${j.elsewhere};`
          : '';
      console.log(
        `${name}: merged ${pe.mergedRows} (${pe.mergedSideBySide}) of ${pe.judgedDetectedRows}, split ${pe.splitRows} (${pe.splitSideBySide}) of ${pe.judgedLabelledRows}, stray ${pe.strayRows};${joints}${hand}`,
      );
    }
  }
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify({ model, conf, iou, maxDetections, ...e }, null, 1)}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
