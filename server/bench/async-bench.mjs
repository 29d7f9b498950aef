#!/usr/bin/env node
// Asynchronous audits with 1 and 2 `shelfwatch worker` processes, in one run: accept throughput
// (submits answered 202 per second) and end-to-end completion rate (audits stored per second, from
// the first submit to the last job done), on PostgreSQL with real shelf photos. Not a test: it
// prints medians and ratios (docs/CONVENTIONS.md 9).
//
//   pnpm --filter @shelfwatch/shared build && pnpm --filter @shelfwatch/server build
//   node server/bench/async-bench.mjs
//   env: BENCH_JOBS (per run, 200), BENCH_CLIENTS (20), BENCH_SIDE (1600 px), BENCH_DATABASE_URL
import { availableParallelism, cpus, loadavg } from 'node:os';
import {
  burst,
  freshSchema,
  pct,
  realPhotos,
  startProcess,
  storeKeys,
  waitAllFinished,
} from './async-harness.mjs';

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 20);
const SIDE = Number(process.env.BENCH_SIDE ?? 1600);

const photos = await realPhotos(JOBS, SIDE);
const { keys, API_KEYS } = storeKeys(CLIENTS);
console.log(`# ShelfWatch asynchronous audits: 1 vs 2 worker processes — ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start (shared machine)`,
);
console.log(
  `${JOBS} real SKU-110K photos per run (longest side ${SIDE} px), ${CLIENTS} clients, PostgreSQL; API: JOB_CONSUMERS=false, WORKERS=1; each worker process WORKERS=1, JOB_CONCURRENCY=1`,
);

const rows = [];
for (const workerCount of [1, 2]) {
  const schema = await freshSchema();
  const env = { ...schema.env, API_KEYS, WORKERS: '1', JOB_CONCURRENCY: '1' };
  const procs = [];
  try {
    const api = await startProcess('api', { ...env, JOB_CONSUMERS: 'false' });
    procs.push(api);
    procs.push(
      ...(await Promise.all(Array.from({ length: workerCount }, () => startProcess('worker', env)))),
    );
    const t0 = performance.now();
    const { results, seconds } = await burst(api.base, keys, photos, CLIENTS);
    const accepted = results.filter((r) => r.status === 202).length;
    const final = await waitAllFinished(schema.db, accepted);
    const total = (performance.now() - t0) / 1000;
    const { rows: lat } = await schema.db.query(
      `SELECT EXTRACT(EPOCH FROM updated_at - created_at) * 1000 AS ms FROM audit_jobs WHERE status = 'done'`,
    );
    const e2e = lat.map((r) => Number(r.ms));
    const acceptMs = results.map((r) => r.ms);
    rows.push({
      workerCount,
      accepted,
      done: final.done ?? 0,
      acceptRate: results.length / seconds,
      acceptP50: pct(acceptMs, 50),
      acceptP99: pct(acceptMs, 99),
      completion: (final.done ?? 0) / total,
      e2eP50: pct(e2e, 50) / 1000,
      total,
    });
  } finally {
    await Promise.all(procs.map((p) => p.kill()));
    await schema.drop();
  }
}

console.log(
  '\n| worker processes | accepted (202) | done | accept submits/s | accept p50 / p99 ms | completion audits/s | accept-to-done p50 s | wall s |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.workerCount} | ${r.accepted} | ${r.done} | ${r.acceptRate.toFixed(1)} | ${r.acceptP50.toFixed(0)} / ${r.acceptP99.toFixed(0)} | ${r.completion.toFixed(2)} | ${r.e2eP50.toFixed(1)} | ${r.total.toFixed(1)} |`,
  );
}
const [one, two] = rows;
console.log(
  `\ncompletion rate, 2 workers / 1 worker: ${(two.completion / one.completion).toFixed(2)}x; accept throughput 2 / 1: ${(two.acceptRate / one.acceptRate).toFixed(2)}x`,
);
