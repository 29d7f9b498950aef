#!/usr/bin/env node
import { readFile, stat, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_CONF,
  DEFAULT_IOU,
  DEFAULT_MAX_DETECTIONS,
  parseDecimal,
  plural,
  resolveDetectOptions,
} from '@shelfwatch/shared';
import { loadConfig } from './config.js';
import { ApiError } from './errors.js';
import { annotateImage } from './inference/annotate.js';
import { int8SaturationWarning, readModelInt8Weights, resolveModelPath } from './inference/model-files.js';
import { Predictor } from './inference/predictor.js';
import { SEED_USAGE, UsageError } from './seed-command.js';

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
  const n = parseDecimal(value);
  if (n === undefined) fail(`--${name} must be a decimal number, got ${JSON.stringify(value)}`);
  return n;
}

/** Formats `--out` can name, by extension. */
const OUT_FORMATS: Record<string, 'png' | 'jpeg' | 'webp'> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

/** The photo's bytes: a file of at most `maxBytes` (MAX_BODY_BYTES, as an upload), read before the model loads. */
async function readPhoto(photo: string, maxBytes: number): Promise<Buffer> {
  const info = await stat(photo);
  if (!info.isFile()) fail(`${photo}: not a file`, 1);
  if (info.size > maxBytes)
    fail(`${photo}: ${info.size} bytes, more than MAX_BODY_BYTES (${maxBytes}) allows an upload`, 1);
  return readFile(photo);
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
  const format = values.out === undefined ? undefined : OUT_FORMATS[extname(values.out).toLowerCase()];
  if (values.out !== undefined && format === undefined)
    fail(`--out must end in .png, .jpg, .jpeg or .webp, got ${JSON.stringify(values.out)}`);
  const options = {
    conf: number('conf', values.conf),
    iou: number('iou', values.iou),
    maxDetections: number('max-detections', values['max-detections']),
  };
  try {
    resolveDetectOptions(options);
  } catch (err) {
    fail((err as Error).message);
  }
  const config = loadConfig({ ...process.env, ...(values.model ? { MODEL_PATH: values.model } : {}) });
  const bytes = await readPhoto(photo, config.MAX_BODY_BYTES);
  const { path, manifest } = await resolveModelPath(config);
  const predictor = await Predictor.create({
    modelPath: path,
    manifest,
    intraOpThreads: config.INTRA_OP_THREADS,
    maxPixels: config.MAX_PIXELS,
    maxAspectRatio: config.MAX_ASPECT_RATIO,
    decodeTimeoutSeconds: config.DECODE_TIMEOUT_SECONDS,
  });
  const saturation = int8SaturationWarning({ path, int8Weights: await readModelInt8Weights(path) });
  if (saturation) process.stderr.write(`warning: ${saturation}\n`);
  const result = await predictor.predict(bytes, options);
  await predictor.release();
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const lines = [
      `${photo}: ${result.image.width}x${result.image.height}, model ${result.model.name} ${result.model.version}`,
      `${plural(result.count, 'product')} in ${plural(result.shelf.rows.length, 'shelf row')}`,
      ...result.shelf.rows.map(
        (row, i) =>
          `  row ${i + 1}: ${plural(row.count, 'product')}${row.gaps.length ? `, ${plural(row.gaps.length, 'gap')}` : ''}`,
      ),
      `timings (ms): ${Object.entries(result.timingsMs)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (values.out && format) {
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

// A reader that stops early (`shelfwatch detect photo.jpg | head`) closes the pipe: end quietly, as
// Unix tools do, instead of an unhandled EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ApiError) fail(`${err.code}: ${err.message}`, 1);
  if (err instanceof UsageError) fail(err.message);
  const e = err as NodeJS.ErrnoException;
  // parseArgs: an unknown option, a missing value, a value given to a flag.
  if (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS_'))
    fail(`${e.message.split('. ')[0]}\n\n${USAGE}`);
  if (e.code === 'ENOENT') fail(`${e.path ?? 'file'}: no such file`, 1);
  fail(err instanceof Error ? err.message : String(err), 1);
});
