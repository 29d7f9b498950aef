#!/usr/bin/env node
// The burst of issue 13, at full size: 500 asynchronous audits of real shelf photos submitted by 20
// concurrent clients (20 stores, a key each, default rate limits) to the built API on PostgreSQL,
// processed by two `shelfwatch worker` processes; one worker is SIGKILLed mid-burst and started
// again. Prints accept latency (p50/p99), accept throughput, completion, the exactly-once checks and
// /predict answered during the burst. Not a test: it measures and reports (docs/CONVENTIONS.md 9).
//
//   pnpm --filter @shelfwatch/shared build && pnpm --filter @shelfwatch/server build
//   node server/bench/async-burst.mjs
//   env: BURST_JOBS (500), BURST_CLIENTS (20), BURST_WORKERS (worker processes, 2), BURST_SIDE (longest
//        side of the uploads, 1600 px; the PWA's resize), BURST_WORKER_NICE (the workers' nice value, 0),
//        BENCH_DATABASE_URL (the test PostgreSQL)
import { availableParallelism, cpus, loadavg } from 'node:os';
import {
  burst,
  exactlyOnce,
  freshSchema,
  jobCounts,
  pct,
  realPhotos,
  sleep,
  startProcess,
  storeKeys,
  submit,
  waitAllFinished,
} from './async-harness.mjs';

const JOBS = Number(process.env.BURST_JOBS ?? 500);
const CLIENTS = Number(process.env.BURST_CLIENTS ?? 20);
const WORKERS = Number(process.env.BURST_WORKERS ?? 2);
const SIDE = Number(process.env.BURST_SIDE ?? 1600);
// Workers and the API share this machine's CPUs; in a cluster they are separate pods with their own.
const WORKER_NICE = Number(process.env.BURST_WORKER_NICE ?? 0);

const photos = await realPhotos(JOBS, SIDE);
const { keys, API_KEYS } = storeKeys(CLIENTS);
const schema = await freshSchema();
const common = {
  ...schema.env,
  API_KEYS,
  WORKERS: '1',
  JOB_SUPERVISE_SECONDS: '2',
  JOB_HEARTBEAT_SECONDS: '10',
};
const procs = [];
try {
  console.log(`# ShelfWatch asynchronous audit burst — ${new Date().toISOString()}`);
  console.log(
    `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start (shared machine)`,
  );
  const mean = photos.reduce((s, p) => s + p.bytes.length, 0) / photos.length / 1024;
  console.log(
    `${JOBS} uploads of ${new Set(photos.map((p) => p.file)).size} real SKU-110K photos (longest side ${SIDE} px, mean ${mean.toFixed(0)} KiB), ${CLIENTS} clients (a store and key each), PostgreSQL`,
  );
  console.log(
    `API: 1 process, JOB_CONSUMERS=false, WORKERS=1; ${WORKERS} shelfwatch worker process(es), WORKERS=1 each, nice ${WORKER_NICE}`,
  );
  const api = await startProcess('api', { ...common, JOB_CONSUMERS: 'false' });
  procs.push(api);
  const workers = await Promise.all(
    Array.from({ length: WORKERS }, () => startProcess('worker', common, WORKER_NICE)),
  );
  procs.push(...workers);

  // /predict keeps being answered: one request every 500 ms during the burst.
  const probes = [];
  let bursting = true;
  const probeLoop = (async () => {
    while (bursting) {
      const t0 = performance.now();
      const res = await fetch(`${api.base}/predict`, {
        method: 'POST',
        body: photos[0].bytes,
        headers: { 'content-type': 'image/jpeg' },
      }).catch(() => null);
      await res?.arrayBuffer();
      probes.push({ status: res?.status ?? 0, ms: performance.now() - t0 });
      await sleep(500);
    }
  })();

  // The SIGKILL: once a fifth of the jobs are done, kill worker 0; start it again 3 s later.
  const kill = (async () => {
    for (;;) {
      const c = await jobCounts(schema.db);
      if ((c.done ?? 0) >= JOBS / 5) break;
      await sleep(100);
    }
    const before = await jobCounts(schema.db);
    await workers[0].kill();
    await sleep(3_000);
    const restarted = await startProcess('worker', common, WORKER_NICE);
    procs.push(restarted);
    return { before };
  })();

  const lsn = async () => (await schema.db.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
  const walStart = await lsn();
  const t0 = performance.now();
  const { results, seconds } = await burst(api.base, keys, photos, CLIENTS);
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const accepted = results.filter((r) => r.status === 202);
  const ms = accepted.map((r) => r.ms);
  console.log('\n## Accept (POST /audits, Prefer: respond-async)');
  console.log(`statuses: ${JSON.stringify(statuses)}`);
  console.log(
    `accept latency: p50 ${pct(ms, 50).toFixed(1)} ms, p99 ${pct(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`,
  );
  console.log(
    `accept throughput: ${(results.length / seconds).toFixed(1)} submits/s (${seconds.toFixed(1)} s for ${results.length})`,
  );

  // Retried submits (a phone that lost the answer): the same key gives the same job.
  const retried = accepted.filter((_, i) => i % 10 === 0);
  let sameJob = 0;
  for (const r of retried) {
    const again = await submit(api.base, {
      key: r.key,
      store: r.store,
      aisle: 'burst',
      bytes: photos[r.i].bytes,
      idempotencyKey: r.idempotencyKey,
    });
    if (again.status === 202 && again.job?.id === r.job.id) sameJob++;
  }
  console.log(
    `retried submits with the same Idempotency-Key: ${sameJob}/${retried.length} returned the same job`,
  );

  const killed = await kill;
  const final = await waitAllFinished(schema.db, accepted.length);
  const totalSeconds = (performance.now() - t0) / 1000;
  bursting = false;
  await probeLoop;
  console.log('\n## Processing');
  console.log(`worker 0 SIGKILLed at ${JSON.stringify(killed.before)}, started again 3 s later`);
  console.log(`finished: ${JSON.stringify(final)} in ${totalSeconds.toFixed(1)} s from the first submit`);
  console.log(`completion rate: ${(accepted.length / totalSeconds).toFixed(2)} audits/s end to end`);

  const check = await exactlyOnce(
    schema.db,
    schema.jobSchema,
    api.base,
    keys,
    accepted.map((r) => r.job.id),
  );
  console.log('\n## Exactly once');
  console.log(
    `jobs ${check.expected}, done ${check.doneJobs}, audits ${check.audits}, jobs with more than one audit ${check.duplicates}, ` +
      `GET /audits per store (sum) ${check.listed}, pg-boss messages ${JSON.stringify(check.messages)}`,
  );
  console.log(
    `jobs run more than once (killed mid-run, retried): ${check.attempts.retried}, most attempts ${check.attempts.max}`,
  );
  console.log(`exactly once: ${check.ok ? 'yes' : 'NO'}`);

  const probeMs = probes.filter((p) => p.status === 200).map((p) => p.ms);
  const probeStatuses = {};
  for (const p of probes) probeStatuses[p.status] = (probeStatuses[p.status] ?? 0) + 1;
  console.log('\n## POST /predict during the burst (one every 500 ms)');
  console.log(
    `statuses ${JSON.stringify(probeStatuses)}, p50 ${pct(probeMs, 50).toFixed(0)} ms, p99 ${pct(probeMs, 99).toFixed(0)} ms`,
  );
  // What PostgreSQL stores per audit, for sizing (server/README.md): rows and WAL. The WAL counts the
  // whole server, other users of this shared PostgreSQL included, so it is an upper bound.
  const { rows: sizes } = await schema.db.query(`SELECT
      (SELECT avg(pg_column_size(a.*)) FROM audits a) AS audit_row,
      (SELECT avg(pg_column_size(j.*)) FROM audit_jobs j) AS job_row,
      (SELECT avg(byte_size) FROM photos) AS photo_bytes,
      pg_total_relation_size('audits') AS audits_total,
      pg_total_relation_size('photos') AS photos_total,
      pg_total_relation_size('audit_jobs') AS jobs_total,
      pg_wal_lsn_diff(pg_current_wal_lsn(), '${walStart}') AS wal`);
  const z = sizes[0];
  const kib = (v) => (Number(v) / 1024).toFixed(1);
  console.log('\n## Storage per audit (PostgreSQL photo store)');
  console.log(
    `audit row ${kib(z.audit_row)} KiB (detections and rows as jsonb), job row ${kib(z.job_row)} KiB, photo ${kib(z.photo_bytes)} KiB; ` +
      `tables with indexes and TOAST per audit: audits ${kib(z.audits_total / JOBS)} KiB, audit_jobs ${kib(z.jobs_total / JOBS)} KiB, photos ${kib(z.photos_total / JOBS)} KiB`,
  );
  console.log(
    `WAL written during the run: ${kib(z.wal / JOBS)} KiB per audit (whole server: an upper bound)`,
  );
  if (!check.ok || accepted.length !== JOBS) process.exitCode = 1;
} finally {
  await Promise.all(procs.map((p) => p.kill()));
  await schema.drop();
}
