#!/usr/bin/env node
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONF, DEFAULT_IOU, DEFAULT_MAX_DETECTIONS } from '@shelfwatch/shared';
import { loadConfig } from './config.js';
import { ApiError } from './errors.js';
import { annotateImage } from './inference/annotate.js';
import { resolveModelPath } from './inference/model-files.js';
import { Predictor } from './inference/predictor.js';
import { SEED_USAGE } from './seed-command.js';

const USAGE = `Usage: shelfwatch detect <photo> [--out annotated.png] [--conf ${DEFAULT_CONF}] [--iou ${DEFAULT_IOU}]
                        [--max-detections ${DEFAULT_MAX_DETECTIONS}] [--model file.onnx] [--json]
       shelfwatch worker
${SEED_USAGE}

worker: runs audit jobs from the queue in the database (DATABASE_URL, required) with the server's
settings (WORKERS, JOB_CONCURRENCY, ...), and serves only /health/* and /metrics on HOST:PORT.

Detects the products on a shelf photo with the same pipeline as POST /predict and the PWA (sharp
decode with EXIF rotation, the shared letterbox, tensor, post-processing and rows, onnxruntime-node
for the model), prints the count per shelf row
and, with --out, writes the photo annotated with boxes, rows and gaps (.png, .jpg or .webp).
The model is MODEL_PATH or the int8 file named by models/manifest.json.`;

function fail(message: string, code = 2): never {
  process.stderr.write(`shelfwatch: ${message}\n`);
  process.exit(code);
}

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

async function detect(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      conf: { type: 'string' },
      iou: { type: 'string' },
      'max-detections': { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const photo = positionals[0];
  if (!photo || positionals.length > 1) fail(`detect takes one photo\n\n${USAGE}`);
  const config = loadConfig({ ...process.env, ...(values.model ? { MODEL_PATH: values.model } : {}) });
  const { path, manifest } = await resolveModelPath(config);
  const predictor = await Predictor.create({
    modelPath: path,
    manifest,
    intraOpThreads: config.INTRA_OP_THREADS,
    maxPixels: config.MAX_PIXELS,
    maxAspectRatio: config.MAX_ASPECT_RATIO,
    decodeTimeoutSeconds: config.DECODE_TIMEOUT_SECONDS,
  });
  const bytes = await readFile(photo);
  const result = await predictor.predict(bytes, {
    conf: number('conf', values.conf),
    iou: number('iou', values.iou),
    maxDetections: number('max-detections', values['max-detections']),
  });
  await predictor.release();
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const lines = [
      `${photo}: ${result.image.width}x${result.image.height}, model ${result.model.name} ${result.model.version}`,
      `${result.count} products in ${result.shelf.rows.length} shelf rows`,
      ...result.shelf.rows.map(
        (row, i) =>
          `  row ${i + 1}: ${row.count} products${row.gaps.length ? `, ${row.gaps.length} gap(s)` : ''}`,
      ),
      `timings (ms): ${Object.entries(result.timingsMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (values.out) {
    const ext = extname(values.out).toLowerCase();
    const format = ext === '.jpg' || ext === '.jpeg' ? 'jpeg' : ext === '.webp' ? 'webp' : 'png';
    await writeFile(values.out, await annotateImage(bytes, result, format));
    if (!values.json) process.stdout.write(`annotated image: ${values.out}\n`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'detect') return detect(rest);
  if (command === 'worker') {
    if (rest.length > 0) fail(`worker takes no arguments (settings come from the environment)\n\n${USAGE}`);
    if (!loadConfig().DATABASE_URL) {
      fail(
        'worker needs DATABASE_URL (PostgreSQL): an embedded PGlite database belongs to the API process, which then runs the jobs itself',
      );
    }
    const { serve } = await import('./serve.js');
    return serve('worker');
  }
  if (command === 'seed') return (await import('./seed-command.js')).seed(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  fail(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ApiError) fail(`${err.code}: ${err.message}`, 1);
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') fail(`${e.path ?? 'file'}: no such file`, 1);
  fail(err instanceof Error ? err.message : String(err), 1);
});
