/**
 * Evaluates ONNX detectors side by side: held-out synthetic AP/count error, the real-photo row
 * proxy and the hand-counted rows (`row-counts.json`: count per row = detections centred in it) on
 * the SKU-110K sample at a grid of thresholds, and median latency at 1 and 2 threads.
 *
 *   node models/dist/eval-cli.js --models a.fp32.onnx,a.int8.onnx --synthetic models/.cache/synth/test/labels.json \
 *     --real ../shared/data/sku110k-shelf-sample --out models/runs/eval.json [--draw 3]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
} from '@shelfwatch/shared';
import sharp from 'sharp';
import { parseCommandLine } from './cli-args.js';
import { Detector } from './detector.js';
import { detectAll, readSyntheticSet, runSet, scoreSynthetic, syntheticFiles } from './evaluate-synthetic.js';
import { listPhotos, readRowLabels, rowProxy } from './real-proxy.js';

const USAGE = `Usage: node models/dist/eval-cli.js --models a.fp32.onnx,a.int8.onnx [--synthetic labels.json]
         [--synthetic-limit N] [--real DIR] [--conf 0.25,0.3,...] [--iou 0.45,...] [--threads 1,2]
         [--latency-runs 15] [--draw N] [--draw-photos DIR] [--draw-conf 0.3] [--draw-iou 0.45] [--out eval.json]`;

const { values, decimal, decimals, refuse } = parseCommandLine(
  {
    models: { type: 'string' },
    synthetic: { type: 'string' },
    'synthetic-limit': { type: 'string', default: '0' },
    real: { type: 'string' },
    conf: { type: 'string', default: '0.25,0.3,0.35,0.4,0.45,0.5' },
    iou: { type: 'string', default: '0.45,0.5,0.6' },
    threads: { type: 'string', default: '1,2' },
    'latency-runs': { type: 'string', default: '15' },
    draw: { type: 'string', default: '0' },
    /** A folder of unlabelled photos (e.g. ../shared/data/sku110k-test-unlabeled/images): all drawn. */
    'draw-photos': { type: 'string' },
    'draw-conf': { type: 'string', default: String(DEFAULT_CONF) },
    'draw-iou': { type: 'string', default: String(DEFAULT_IOU) },
    out: { type: 'string', default: 'models/runs/eval.json' },
  },
  USAGE,
);

async function latency(path: string, threads: number, runs: number): Promise<number> {
  const det = await Detector.load(path, threads);
  const ms = await det.inferenceMs(runs);
  await det.release();
  return ms;
}

async function drawDetections(image: string, boxes: BoxXyxy[], rows: BoxXyxy[], out: string): Promise<void> {
  const { data, info } = await sharp(image, { failOn: 'none' })
    .rotate()
    .toBuffer({ resolveWithObject: true });
  const W = info.width;
  const H = info.height;
  const lw = Math.max(2, Math.round(Math.max(W, H) / 500));
  const rect = (b: BoxXyxy, c: string, dash = '') =>
    `<rect x="${b[0]}" y="${b[1]}" width="${b[2] - b[0]}" height="${b[3] - b[1]}" fill="none" stroke="${c}" stroke-width="${lw}" ${dash}/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${rows.map((r) => rect(r, '#00a0ff', `stroke-dasharray="${lw * 4}"`)).join('')}${boxes.map((b) => rect(b, '#ff2020')).join('')}</svg>`;
  // sharp composites after resizing whatever the call order, so draw first, then shrink
  const drawn = await sharp(data)
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer();
  await sharp(drawn).resize({ width: 1280, withoutEnlargement: true }).png().toFile(out);
}

interface ModelReport {
  real?: { grid: { conf: number; iou: number; handErrors: number[] }[] };
}

/**
 * Each model against the first on the same hand-counted rows, at each threshold both were run at:
 * the mean of the per-row differences of their errors (negative: the model counts closer than the
 * first) and its 95 % bootstrap interval. An interval that holds 0 cannot tell the two apart.
 */
function pairedComparisons(models: Record<string, ModelReport>) {
  const [first, ...others] = Object.entries(models);
  const out: {
    model: string;
    against: string;
    conf: number;
    iou: number;
    delta: number;
    lo: number;
    hi: number;
  }[] = [];
  for (const [name, m] of others) {
    for (const g of m.real?.grid ?? []) {
      const base = first![1].real?.grid.find((b) => b.conf === g.conf && b.iou === g.iou);
      if (!base || base.handErrors.length === 0 || base.handErrors.length !== g.handErrors.length) continue;
      const ci = bootstrapMeanInterval(g.handErrors.map((e, k) => e - base.handErrors[k]!));
      out.push({
        model: name,
        against: first![0],
        conf: g.conf,
        iou: g.iou,
        delta: ci.mean,
        lo: ci.lo,
        hi: ci.hi,
      });
      console.log(
        `[${name}] vs ${first![0]} at conf ${g.conf}, IoU ${g.iou}: rows MAPE ${ci.mean >= 0 ? '+' : ''}${ci.mean.toFixed(1)} points (95 % interval ${ci.lo.toFixed(1)} to ${ci.hi.toFixed(1)})`,
      );
    }
  }
  return out;
}

async function main(): Promise<void> {
  const models = (values.models ?? '').split(',').filter(Boolean);
  if (models.length === 0) refuse('--models is required');
  // Every number is read here, so that a bad one is refused before any model runs.
  const confs = decimals('conf', values.conf);
  const ious = decimals('iou', values.iou);
  const threads = decimals('threads', values.threads);
  const latencyRuns = decimal('latency-runs', values['latency-runs']);
  const syntheticLimit = decimal('synthetic-limit', values['synthetic-limit']);
  const nDraw = decimal('draw', values.draw);
  const drawConf = decimal('draw-conf', values['draw-conf']);
  const drawIou = decimal('draw-iou', values['draw-iou']);
  const report: Record<string, unknown> = { date: new Date().toISOString(), models: {} };
  const synth = values.synthetic
    ? readSyntheticSet(values.synthetic, syntheticLimit || undefined)
    : undefined;
  const photos = values.real ? listPhotos(values.real) : [];
  const countsFile = values.real ? join(values.real, 'row-counts.json') : '';
  const hand =
    countsFile && existsSync(countsFile)
      ? (
          JSON.parse(readFileSync(countsFile, 'utf8')) as {
            rows: { photo: string; row: number; count: number }[];
          }
        ).rows
      : [];
  const rowsByPhoto: BoxXyxy[][] = [];
  for (const p of photos) {
    const m = await sharp(p.image).metadata();
    const swap = (m.orientation ?? 1) >= 5; // EXIF 5-8: the upright image is rotated by 90 degrees
    const W = (swap ? m.height : m.width) ?? 0;
    const H = (swap ? m.width : m.height) ?? 0;
    rowsByPhoto.push(readRowLabels(p.label, W, H));
  }
  for (const path of models) {
    const name = basename(path);
    const det = await Detector.load(path, 2);
    const r: Record<string, unknown> = {};
    if (synth) {
      const raw = await runSet(det, syntheticFiles(synth));
      const grid = [];
      for (const iou of ious) {
        for (const conf of confs) {
          const e = scoreSynthetic(synth, raw, conf, iou);
          grid.push({
            conf,
            iou,
            ap50: e.ap50,
            ap5095: e.ap5095,
            precision: e.precision,
            recall: e.recall,
            countMae: e.countMae,
            countMape: e.countMape,
          });
        }
      }
      r.synthetic = {
        images: synth.images.length,
        objects: synth.images.reduce((a, i) => a + i.boxes.length, 0),
        grid,
      };
      console.log(`[${name}] synthetic`, JSON.stringify(grid.filter((g) => g.conf === confs[0])));
    }
    if (photos.length) {
      const raw = await runSet(
        det,
        photos.map((p) => p.image),
      );
      const grid = [];
      for (const iou of ious) {
        for (const conf of confs) {
          const dets = detectAll(raw, conf, iou, DEFAULT_MAX_DETECTIONS);
          const pr = rowProxy(
            dets.map((d, i) => ({ boxes: d.map((x) => x.box as BoxXyxy), rows: rowsByPhoto[i]! })),
          );
          const evalPhotos: RowEvalPhoto[] = dets.map((d, i) => {
            const name = basename(photos[i]!.image).replace(/\.\w+$/, '');
            return {
              boxes: d.map((x) => x.box as BoxXyxy),
              rowOf: analyzeShelfWithMembers(d.map((x) => ({ box: x.box as BoxXyxy }))).rowOf,
              labelled: rowsByPhoto[i]!,
              counted: hand.filter((h) => h.photo === name).map((h) => ({ row: h.row, count: h.count })),
            };
          });
          const rows = evaluateRows(evalPhotos);
          const within10 =
            rows.counted.filter((c) => Math.abs(c.detector - c.count) <= 0.1 * c.count).length /
            rows.counted.length;
          const errors = countErrors(rows.counted);
          const ci = errors.length ? bootstrapMeanInterval(errors) : undefined;
          grid.push({
            conf,
            iou,
            handRows: rows.counted.length,
            handMape: rows.detectorCountMape,
            handMapeInterval: ci ? [ci.lo, ci.hi] : undefined,
            /** Per hand-counted row (row-counts.json order), |detections - hand count| / hand count in %. */
            handErrors: errors,
            handWithin10: within10,
            rowCoverage: pr.rowCoverage,
            straddleRate: pr.straddleRate,
            nestedRate: pr.nestedRate,
            medianCount: pr.medianCount,
            minCount: Math.min(...pr.counts),
            maxCount: Math.max(...pr.counts),
          });
        }
      }
      r.real = { photos: photos.length, rows: rowsByPhoto.reduce((a, b) => a + b.length, 0), grid };
      console.log(`[${name}] real`, JSON.stringify(grid));
      if (nDraw > 0) {
        const dets = detectAll(raw, drawConf, drawIou, DEFAULT_MAX_DETECTIONS);
        mkdirSync(join(dirname(values.out), 'draw'), { recursive: true });
        for (let i = 0; i < Math.min(nDraw, photos.length); i++) {
          const k = Math.floor((i * photos.length) / nDraw);
          await drawDetections(
            photos[k]!.image,
            dets[k]!.map((d) => d.box as BoxXyxy),
            rowsByPhoto[k]!,
            join(dirname(values.out), 'draw', `${name}-${basename(photos[k]!.image, '.jpg')}.png`),
          );
        }
      }
    }
    if (values['draw-photos']) {
      const dir = values['draw-photos'];
      const files = readdirSync(dir)
        .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
        .sort();
      const raw = await runSet(
        det,
        files.map((f) => join(dir, f)),
      );
      const dets = detectAll(raw, drawConf, drawIou, DEFAULT_MAX_DETECTIONS);
      const outDir = join(dirname(values.out), 'draw-unlabelled');
      mkdirSync(outDir, { recursive: true });
      const counts: Record<string, number> = {};
      for (const [i, f] of files.entries()) {
        counts[f] = dets[i]!.length;
        await drawDetections(
          join(dir, f),
          dets[i]!.map((d) => d.box as BoxXyxy),
          [],
          join(outDir, `${name}-${f.replace(/\.\w+$/, '')}.png`),
        );
      }
      r.unlabelled = {
        photos: files.length,
        conf: drawConf,
        iou: drawIou,
        counts,
      };
      console.log(`[${name}] drew ${files.length} unlabelled photos into ${outDir}`, JSON.stringify(counts));
    }
    await det.release();
    const lat: Record<string, number> = {};
    for (const t of threads) lat[`threads${t}`] = await latency(path, t, latencyRuns);
    r.latencyMs = lat;
    console.log(`[${name}] latency`, JSON.stringify(lat));
    (report.models as Record<string, unknown>)[name] = r;
  }
  report.paired = pairedComparisons(report.models as Record<string, ModelReport>);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
  console.log('wrote', values.out);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
