#!/usr/bin/env node
// The store dashboard's queries on a store with a year of history: seeds 20 aisles x 2 audits a day x
// 365 days (14,600 audits, plus BENCH_OTHER_STORES more stores of the same size beside it), prints the
// plans (EXPLAIN ANALYZE), then times the real server's routes over HTTP on loopback, one request at a
// time: p50 / p95 / max. On PGlite and, when it is reachable, PostgreSQL. Not a test: it prints
// percentiles (no thresholds).
//
//   pnpm --filter @shelfwatch/shared build && pnpm --filter @shelfwatch/server build
//   node server/bench/dashboard-bench.mjs
//   env: BENCH_REQUESTS (per route, 200), BENCH_OTHER_STORES (4), BENCH_BACKENDS (pglite,postgres),
//        BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test)
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DashboardRepository } from '../dist/db/dashboard-repository.js';
import { migrate } from '../dist/db/migrations.js';
import { insertAudits, syntheticAudits } from '../dist/db/seed-audits.js';
import { createPgliteClient, createPostgresClient } from '../dist/db/sql-client.js';
import { DATABASE_URL, freshSchema, pct, startProcess, storeKeys } from './async-harness.mjs';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const OTHER_STORES = Number(process.env.BENCH_OTHER_STORES ?? 4);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'pglite,postgres').split(',');
const { keys, API_KEYS } = storeKeys(1);
const STORE = keys[0].store;
const DAY_MS = 86_400_000;

async function postgresReachable() {
  const db = createPostgresClient(DATABASE_URL);
  try {
    await db.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await db.close();
  }
}

const until = new Date();
const since = new Date(until.getTime() - 365 * DAY_MS);
const year = { since: since.toISOString(), until: until.toISOString() };
const month = { since: new Date(until.getTime() - 30 * DAY_MS).toISOString(), until: year.until };
const q = (r) => `since=${encodeURIComponent(r.since)}&until=${encodeURIComponent(r.until)}`;
const ROUTES = [
  { name: 'summary, 365 days', path: `/stores/${STORE}/summary?${q(year)}` },
  { name: 'summary, 30 days', path: `/stores/${STORE}/summary?${q(month)}` },
  { name: 'history of 1 aisle, 365 days', path: `/stores/${STORE}/aisles/A20/history?${q(year)}` },
  { name: 'summary CSV, 365 days', path: `/stores/${STORE}/summary?${q(year)}`, csv: true },
];

console.log(`# ShelfWatch store dashboard: aggregates over a year of audits — ${new Date().toISOString()}`);
console.log(
  `machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}, load average ${loadavg()[0].toFixed(1)} at start (shared machine)`,
);

const stores = [STORE, ...Array.from({ length: OTHER_STORES }, (_, i) => `other-${i + 1}`)];
for (const backend of BACKENDS) {
  if (backend === 'postgres' && !(await postgresReachable())) {
    console.log(`\n## postgres: skipped (${DATABASE_URL} not reachable)`);
    continue;
  }
  const dir = backend === 'pglite' ? mkdtempSync(join(tmpdir(), 'shelfwatch-dash-bench-')) : undefined;
  const schema = backend === 'postgres' ? await freshSchema() : undefined;
  const db = dir
    ? await createPgliteClient(join(dir, 'pglite'))
    : createPostgresClient(schema.env.DATABASE_URL);
  let server;
  try {
    await migrate(db);
    const t0 = performance.now();
    let seeded = 0;
    for (const [i, storeId] of stores.entries())
      seeded += await insertAudits(
        db,
        syntheticAudits({ storeId, aisles: 20, perDay: 2, days: 365, until, seed: i + 1 }),
      );
    const seedMs = performance.now() - t0;
    // What autovacuum does on PostgreSQL after a bulk load (PGlite has no autovacuum).
    await db.query('VACUUM ANALYZE audits');
    const { rows: size } = await db.query(
      `SELECT pg_size_pretty(pg_table_size('audits')) AS heap, pg_size_pretty(pg_relation_size('audits_store_aisle_created')) AS idx,
              (SELECT count(*)::int FROM audits WHERE store_id = $1) AS store`,
      [STORE],
    );
    console.log(`\n## ${backend}`);
    console.log(
      `seeded ${seeded} audits (${stores.length} stores x 20 aisles x 2/day x 365 days; ${size[0].store} in ${STORE}) in ${(seedMs / 1000).toFixed(1)} s; audits table ${size[0].heap}, index audits_store_aisle_created ${size[0].idx}`,
    );
    const repo = new DashboardRepository(db);
    const plans = await repo.explain(STORE, 'A20', year, { analyze: true });
    console.log('\nEXPLAIN ANALYZE, summary over 365 days:\n```');
    console.log(plans.summary);
    console.log('```\nEXPLAIN ANALYZE, history of one aisle over 365 days:\n```');
    console.log(plans.history);
    console.log('```');
    if (dir) await db.close(); // the server opens the PGlite directory itself

    const env = dir
      ? { DATA_DIR: join(dir, 'pglite'), DATABASE_URL: '' }
      : { ...schema.env, JOB_CONSUMERS: 'false' };
    server = await startProcess('api', {
      ...env,
      API_KEYS,
      WORKERS: '1',
      RATE_LIMIT_PER_MINUTE: '0',
      KEY_RATE_LIMIT_PER_MINUTE: '0',
    });
    const headers = { authorization: `Bearer ${keys[0].key}` };
    console.log(
      `\n${REQUESTS} requests per route, one at a time, the routes taken in turn, after 20 warm-up rounds (ms, HTTP on loopback):\n`,
    );
    console.log('| route | p50 | p95 | max | body |');
    console.log('|---|---:|---:|---:|---:|');
    const once = async (route) => {
      const h = route.csv ? { ...headers, accept: 'text/csv' } : headers;
      const t = performance.now();
      const res = await fetch(`${server.base}${route.path}`, { headers: h });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${route.path}: HTTP ${res.status} ${Buffer.from(body)}`);
      route.bytes = body.byteLength;
      return performance.now() - t;
    };
    for (let i = 0; i < 20; i++) for (const route of ROUTES) await once(route);
    const ms = ROUTES.map(() => []);
    for (let i = 0; i < REQUESTS; i++)
      for (const [k, route] of ROUTES.entries()) ms[k].push(await once(route));
    const f = (v) => v.toFixed(1);
    for (const [k, route] of ROUTES.entries()) {
      console.log(
        `| ${route.name} | ${f(pct(ms[k], 50))} | ${f(pct(ms[k], 95))} | ${f(Math.max(...ms[k]))} | ${(route.bytes / 1024).toFixed(1)} KB |`,
      );
    }
    console.log(`\nload average ${loadavg()[0].toFixed(1)} at the end`);
  } finally {
    await server?.kill();
    if (!dir) await db.close();
    await schema?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
