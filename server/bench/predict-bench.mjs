#!/usr/bin/env node
// Benchmark (issue 11), in one run on the same real photo: the naive sharp pipeline (shrink-on-load
// decode + resize + pad, CHW, session.run, shared postprocess; sequential, one process), the exact
// pipeline in-process (the server's adapter: full decode + the shared WebAssembly letterbox kernel,
// one at a time), and the built server's POST /predict under autocannon at 1, 2, 4 and 8 connections,
// with GET /health/live probed every 50 ms throughout. Prints medians, p99 and ratios; not a test.
//
//   pnpm build && pnpm bench:server
//   env: BENCH_SECONDS (per level, default 10), BENCH_WORKERS (default: CPUs), BENCH_THREADS (intra-op, 1),
//        BENCH_PHOTO (default: the 12 MP SKU-110K photo train_2975.jpg from ../shared/data), MODEL_PATH.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const DIST = resolve(SERVER_DIR, 'dist');
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism());
const THREADS = Number(process.env.BENCH_THREADS ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RUNS = 25;
const CONNECTIONS = [1, 2, 4, 8];
const PHOTO =
  process.env.BENCH_PHOTO ??
  resolve(SERVER_DIR, '../../shared/data/sku110k-shelf-sample/images/train_2975.jpg');
if (!existsSync(PHOTO)) {
  console.log(`skipped: ${PHOTO} is not here (set BENCH_PHOTO to a shelf photo)`);
  process.exit(0);
}

const shared = await import('@shelfwatch/shared');
const { loadConfig } = await import(resolve(DIST, 'config.js'));
const { resolveModelPath } = await import(resolve(DIST, 'inference/model-files.js'));
const { Predictor } = await import(resolve(DIST, 'inference/predictor.js'));

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);
const f1 = (v) => v.toFixed(1);

const config = loadConfig(process.env);
const { path: modelPath, manifest } = await resolveModelPath(config);
const photo = readFileSync(PHOTO);
const meta = await sharp(photo).metadata();
console.log(`# ShelfWatch /predict benchmark — ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} before the run`,
);
console.log(`model: ${modelPath}`);
console.log(
  `photo: ${PHOTO.split('/').slice(-2).join('/')}, ${meta.width}x${meta.height} JPEG (${((meta.width * meta.height) / 1e6).toFixed(1)} MP), ${(photo.length / 1024).toFixed(0)} KiB`,
);
console.log(`server: ${WORKERS} workers x ${THREADS} intra-op thread(s)`);

// 1. Naive: what one would write with sharp alone. libvips shrinks the JPEG while decoding (DCT
//    scaling), so it never builds the full-size image; sequential, default sharp concurrency, and the
//    same session settings as the server's workers.
async function naiveLoop() {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const spec = shared.describeModel(new Uint8Array(readFileSync(modelPath)), manifest);
  const [h, w] = spec.imgsz;
  const step = async () => {
    const m = await sharp(photo).metadata();
    const swap = (m.orientation ?? 1) >= 5;
    const lb = shared.computeLetterbox(swap ? m.height : m.width, swap ? m.width : m.height, w, h);
    const pad = { r: 114, g: 114, b: 114 };
    const rgb = await sharp(photo)
      .rotate()
      .resize(lb.newWidth, lb.newHeight, { fit: 'fill' })
      .extend({ top: lb.padTop, bottom: lb.padBottom, left: lb.padLeft, right: lb.padRight, background: pad })
      .removeAlpha()
      .raw()
      .toBuffer();
    const plane = w * h;
    const chw = new Float32Array(3 * plane);
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      chw[i] = rgb[p] / 255;
      chw[plane + i] = rgb[p + 1] / 255;
      chw[2 * plane + i] = rgb[p + 2] / 255;
    }
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', chw, [1, 3, h, w]) });
    const y = out[session.outputNames[0]];
    const found = shared.postprocess(y.data, y.dims, { letterbox: lb, names: spec.names });
    return shared.attachShelfRows(found).detections.length;
  };
  for (let i = 0; i < 3; i++) await step();
  const times = [];
  let count = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    const t0 = performance.now();
    count = await step();
    times.push(performance.now() - t0);
  }
  await session.release();
  return {
    p50: median(times),
    p99: pct(times, 99),
    rps: times.length / (times.reduce((a, b) => a + b, 0) / 1000),
    count,
  };
}

// 2. Exact, in-process: the server's adapter (sharp full decode, the shared pipeline), one at a time.
async function exactLoop() {
  sharp.concurrency(1); // as in the server's workers
  const predictor = await Predictor.create({ modelPath, manifest, intraOpThreads: THREADS, maxPixels: 1e9 });
  for (let i = 0; i < 3; i++) await predictor.predict(photo);
  const stages = {};
  const totals = [];
  let count = 0;
  for (let i = 0; i < RUNS; i++) {
    const r = await predictor.predict(photo);
    for (const [k, v] of Object.entries(r.timingsMs)) {
      stages[k] ??= [];
      stages[k].push(v);
    }
    totals.push(r.timingsMs.total);
    count = r.count;
  }
  await predictor.release();
  sharp.concurrency(0);
  return {
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)])),
    p50: median(totals),
    p99: pct(totals, 99),
    rps: 1000 / median(totals),
    count,
  };
}

console.error('naive sharp pipeline loop');
const naive = await naiveLoop();
console.error('exact pipeline, in-process');
const exact = await exactLoop();

// 3. The built server as a child process.
console.error('server: starting');
const dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-bench-'));
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, [resolve(DIST, 'server.js')], {
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    WORKERS: String(WORKERS),
    INTRA_OP_THREADS: String(THREADS),
    QUEUE_SIZE: '64',
    // Raised, not off: one loopback client is not a store, but the limiter stays in the path.
    RATE_LIMIT_PER_MINUTE: '1000000',
    DEV_MODE: 'true',
    LOG_LEVEL: 'warn',
    DATA_DIR: join(dataDir, 'pglite'),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  const ok = await fetch(`${base}/health/ready`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  if (i > 600) throw new Error('server did not become ready');
  await new Promise((r) => setTimeout(r, 100));
}

/** GET /health/live every 50 ms until `stop()`: the event loop's answer time under load. */
function probeLiveness() {
  const times = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await fetch(`${base}/health/live`).then((r) => r.arrayBuffer());
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return times;
  };
}

const request = { method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg' } };
await autocannon({ url: `${base}/predict`, ...request, connections: WORKERS, amount: 4 * WORKERS }); // warm-up
const levels = [];
for (const connections of CONNECTIONS) {
  console.error(`server: ${connections} connection(s)`);
  const stop = probeLiveness();
  const r = await autocannon({ url: `${base}/predict`, ...request, connections, duration: SECONDS });
  const live = await stop();
  levels.push({
    connections,
    p50: r.latency.p50,
    p99: r.latency.p99,
    rps: r.requests.total / SECONDS,
    bad: r.non2xx + r.errors + r.timeouts,
    liveP50: median(live),
    liveP99: pct(live, 99),
  });
}
child.kill('SIGTERM');
const serverExit = await new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)));
if (serverExit !== 0) console.error(`server exited with ${serverExit}`);
rmSync(dataDir, { recursive: true, force: true });

const s = exact.stages;
const at = (c) => levels.find((l) => l.connections === c);
const lines = [
  '',
  '## In-process, no HTTP',
  `naive sharp pipeline (shrink-on-load), sequential   p50 ${f1(naive.p50)} ms  p99 ${f1(naive.p99)} ms  ${f1(naive.rps)} images/s  (${naive.count} products)`,
  `exact pipeline (server adapter), one at a time      p50 ${f1(exact.p50)} ms  p99 ${f1(exact.p99)} ms  ${f1(exact.rps)} images/s  (${exact.count} products)`,
  `  stage medians: decode ${f1(s.decode)}, resize ${f1(s.resize)}, tensor ${f1(s.tensor)}, inference ${f1(s.inference)}, postprocess ${f1(s.postprocess)} ms`,
  '',
  `## POST /predict (autocannon, keep-alive, ${SECONDS} s per level), GET /health/live every 50 ms meanwhile`,
  '| connections | p50 ms | p99 ms | req/s | non-2xx/errors | req/s ÷ naive | /health/live p50 ms | /health/live p99 ms |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...levels.map(
    (l) =>
      `| ${l.connections} | ${l.p50} | ${l.p99} | ${f1(l.rps)} | ${l.bad} | ${(l.rps / naive.rps).toFixed(2)} | ${f1(l.liveP50)} | ${f1(l.liveP99)} |`,
  ),
  '',
  'Goals (issue 11):',
  `- /predict at 4 connections ÷ naive throughput: ${(at(4).rps / naive.rps).toFixed(2)}x (goal >= 0.9x)`,
  `- /predict p50 at 1 connection over the exact pipeline in-process: ${f1(((at(1).p50 - exact.p50) / exact.p50) * 100)} % (goal <= 10 %)`,
  `- /health/live p99, worst level: ${f1(Math.max(...levels.map((l) => l.liveP99)))} ms (goal < 20 ms)`,
];
console.log(lines.join('\n'));
