#!/usr/bin/env node
// The long fuzz run: FUZZ_COUNT (10,000) mutated JPEG/PNG/WebP images against the built server
// (dist/), with the settings of the CI test (server/test/fuzz.spec.ts), and a summary to paste into
// server/README.md. Run after a build: node server/bench/fuzz.mjs
//   FUZZ_COUNT=10000 FUZZ_SEED=1 FUZZ_CONCURRENCY=2 FUZZ_WORKERS=1
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSeeds, percentile, runFuzz, serverRss } from './fuzz-images.mjs';

const COUNT = Number(process.env.FUZZ_COUNT ?? 10_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 2);
const WORKERS = Number(process.env.FUZZ_WORKERS ?? 1);
const MiB = 1024 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'shelfwatch-fuzz-'));
const child = spawn(process.execPath, [fileURLToPath(new URL('../dist/server.js', import.meta.url))], {
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    WORKERS: String(WORKERS),
    QUEUE_SIZE: '8',
    RATE_LIMIT_PER_MINUTE: '0',
    DEV_MODE: 'true',
    API_KEYS: '',
    // /predict needs no database; PGlite's start-up memory would blur the RSS comparison.
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    WEB_ROOT: join(dir, 'none'),
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    MALLOC_ARENA_MAX: '2',
    MALLOC_TRIM_THRESHOLD_: '131072',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
child.stdout.on('data', (d) => {
  out = (out + d).slice(-200_000);
});
child.stderr.on('data', (d) => {
  out = (out + d).slice(-200_000);
});
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
let base;
for (let i = 0; i < 900 && !base; i++) {
  await wait(100);
  base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
}
if (!base) throw new Error(`server did not listen:\n${out}`);

const seeds = await makeSeeds();
for (const s of seeds) {
  for (let i = 0; i < 300; i++) {
    const r = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': s.type },
      body: s.bytes,
    }).catch(() => null);
    if (r?.status === 200) break;
    await wait(200);
  }
}
const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024;
const rssBefore = await serverRss(base);
const load = loadavg()[0];
const result = await runFuzz({ base, count: COUNT, seed: SEED, concurrency: CONCURRENCY, seeds });
const rssAfter = await serverRss(base);

const photoDir = fileURLToPath(new URL('../../../shared/data/sku110k-shelf-sample/images', import.meta.url));
let photoLine = 'real photo: ../shared/data absent, skipped';
if (existsSync(photoDir)) {
  const file = readdirSync(photoDir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()[1];
  const res = await fetch(`${base}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: readFileSync(join(photoDir, file)),
  });
  const body = await res.json();
  photoLine = `real photo afterwards (${file}): ${res.status}, ${body.count} products`;
}
await wait(5_000);
const rssSettled = await serverRss(base);
const peak = hwm();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });

const ms = result.latenciesMs;
const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
console.log(`# ShelfWatch /predict fuzz — ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load average ${load.toFixed(1)} at start`,
);
console.log(
  `${COUNT} mutated images from ${seeds.length} seeds (seed ${SEED}), ${CONCURRENCY} at a time, ${WORKERS} worker(s)`,
);
console.log(
  `wall ${(result.wallMs / 1000).toFixed(1)} s, ${(COUNT / (result.wallMs / 1000)).toFixed(1)} images/s`,
);
console.log(`statuses: ${JSON.stringify(sorted(result.byStatus))}`);
console.log(`codes:    ${JSON.stringify(sorted(result.byCode))}`);
console.log(`kinds:    ${JSON.stringify(sorted(result.byKind))}`);
console.log(
  `5xx / connection errors: ${result.serverErrors.length}${result.serverErrors.length ? ` ${JSON.stringify(result.serverErrors.slice(0, 5))}` : ''}`,
);
console.log(
  `latency: p50 ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (${result.slowest?.seed} / ${result.slowest?.kind} -> ${result.slowest?.status})`,
);
console.log(photoLine);
console.log(
  `server RSS: ${(rssBefore / MiB).toFixed(0)} MiB before, ${(rssAfter / MiB).toFixed(0)} MiB after the run, ${(rssSettled / MiB).toFixed(0)} MiB 5 s after the photo; peak ${(peak / MiB).toFixed(0)} MiB`,
);
if (result.serverErrors.length > 0) process.exitCode = 1;
