// Shared by async-burst.mjs and async-bench.mjs: the built API and `shelfwatch worker` processes on a
// fresh PostgreSQL schema, real shelf photos, asynchronous submits, and the exactly-once checks.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import sharp from 'sharp';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
export const PHOTOS_DIR = resolve(SERVER_DIR, '../../shared/data/sku110k-shelf-sample/images');
export const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const pct = (values, p) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One API key per store (a store's tablet), as a deployment would have them. */
export function storeKeys(stores) {
  const keys = Array.from({ length: stores }, (_, i) => ({
    store: `store-${i}`,
    key: `bench-key-${i}-${randomBytes(8).toString('hex')}`,
  }));
  const apiKeys = keys.map((k) => ({ name: `${k.store}-tablet`, sha256: sha256(k.key), stores: [k.store] }));
  return { keys, API_KEYS: JSON.stringify(apiKeys) };
}

/**
 * `count` distinct JPEGs from the real SKU-110K sample photos, as the PWA uploads them: EXIF-upright,
 * longest side `side` px; each photo in several qualities so that every upload has its own bytes.
 */
export async function realPhotos(count, side = 1600) {
  if (!existsSync(PHOTOS_DIR)) {
    console.error(
      `${PHOTOS_DIR} is missing: this benchmark needs the SKU-110K sample photos (../shared/data)`,
    );
    process.exit(2);
  }
  const files = readdirSync(PHOTOS_DIR)
    .filter((f) => f.endsWith('.jpg'))
    .sort();
  const variants = Math.ceil(count / files.length);
  const out = [];
  for (const file of files) {
    const upright = await sharp(join(PHOTOS_DIR, file))
      .rotate()
      .resize({ width: side, height: side, fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    for (let v = 0; v < variants && out.length < count; v++) {
      const bytes = await sharp(upright.data, { raw: upright.info })
        .jpeg({ quality: 90 - v })
        .toBuffer();
      out.push({ file, bytes, width: upright.info.width, height: upright.info.height });
    }
  }
  return out;
}

/** A fresh schema (and one for pg-boss) in the benchmark database, dropped by `drop()`. */
export async function freshSchema() {
  const schema = `shelfwatch_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  return {
    env: { DATABASE_URL: url.toString(), JOB_SCHEMA: `${schema}_boss` },
    jobSchema: `${schema}_boss`,
    db,
    drop: async () => {
      await db.end();
      const c = new pg.Client({ connectionString: DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
      await c.end();
    },
  };
}

/**
 * Starts the built API (`dist/server.js`) or a worker (`dist/cli.js worker`) and resolves once it is
 * ready. `nice` lowers its CPU priority (on one machine, what separate pods' CPU requests do).
 * `kill()` sends SIGKILL.
 */
export async function startProcess(role, env, nice = 0) {
  const args = role === 'worker' ? ['dist/cli.js', 'worker'] : ['dist/server.js'];
  const child = spawn(process.execPath, args, {
    cwd: SERVER_DIR,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      MALLOC_ARENA_MAX: '2',
      MALLOC_TRIM_THRESHOLD_: '131072',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (nice) setPriority(child.pid, nice);
  let log = '';
  const keep = (d) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  let base;
  for (const deadline = Date.now() + 120_000; !base; await sleep(100)) {
    base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)?.[1];
    if (child.exitCode !== null) throw new Error(`${role} exited:\n${log}`);
    if (Date.now() > deadline) throw new Error(`${role} did not listen:\n${log}`);
  }
  for (const deadline = Date.now() + 120_000; ; await sleep(200)) {
    const ok = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${role} not ready:\n${log}`);
  }
  return {
    role,
    base,
    child,
    exited,
    log: () => log,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** POST /audits with Prefer: respond-async; resolves with status, job and the accept latency. */
export async function submit(base, { key, store, aisle, bytes, idempotencyKey }) {
  const t0 = performance.now();
  const res = await fetch(`${base}/audits?${new URLSearchParams({ storeId: store, aisle })}`, {
    method: 'POST',
    body: bytes,
    headers: {
      'content-type': 'image/jpeg',
      authorization: `Bearer ${key}`,
      prefer: 'respond-async',
      'idempotency-key': idempotencyKey,
    },
  });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, job: body.job, code: body.error?.code, ms: performance.now() - t0 };
}

/**
 * `clients` concurrent clients submit `photos` (each client a store with its own key, round robin),
 * as fast as the server answers. Returns every submit with its key and timing.
 */
export async function burst(base, keys, photos, clients) {
  const results = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const { key, store } = keys[c % keys.length];
      for (let i = next++; i < photos.length; i = next++) {
        const idempotencyKey = randomUUID();
        const r = await submit(base, { key, store, aisle: 'burst', bytes: photos[i].bytes, idempotencyKey });
        results.push({ ...r, i, key, store, idempotencyKey, at: performance.now() - t0 });
      }
    }),
  );
  return { results, seconds: (performance.now() - t0) / 1000 };
}

/** Job states in the database. */
export async function jobCounts(db) {
  const { rows } = await db.query('SELECT status, count(*)::int AS n FROM audit_jobs GROUP BY status');
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Waits until `total` jobs are finished; returns the seconds it took from `sinceMs` (performance.now()). */
export async function waitAllFinished(db, total, timeoutMs = 1_800_000) {
  for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
    const c = await jobCounts(db);
    if ((c.done ?? 0) + (c.failed ?? 0) >= total) return c;
    if (Date.now() > deadline) throw new Error(`jobs not finished in time: ${JSON.stringify(c)}`);
  }
}

/**
 * The exactly-once checks, from the database and the API: one audit per job, every job done with its
 * audit, one pg-boss message per job (completed), and the API's per-store listing of the same count.
 */
export async function exactlyOnce(db, jobSchema, base, keys, jobIds) {
  const q = async (sql) => (await db.query(sql)).rows;
  const [dup] = await q(
    'SELECT count(*)::int AS n FROM (SELECT job_id FROM audits GROUP BY job_id HAVING count(*) > 1) d',
  );
  const [audits] = await q('SELECT count(*)::int AS n, count(DISTINCT job_id)::int AS jobs FROM audits');
  const [done] = await q(
    "SELECT count(*)::int AS n, count(DISTINCT audit_id)::int AS audits FROM audit_jobs WHERE status = 'done'",
  );
  const [attempts] = await q(
    'SELECT count(*) FILTER (WHERE attempts > 1)::int AS retried, max(attempts)::int AS max FROM audit_jobs',
  );
  const messages = await q(
    `SELECT state, count(*)::int AS n, count(DISTINCT data->>'jobId')::int AS jobs FROM ${jobSchema}.job WHERE name = 'audits' GROUP BY state`,
  );
  let listed = 0;
  for (const { key, store } of keys) {
    const res = await fetch(`${base}/audits?storeId=${store}&limit=100`, {
      headers: { authorization: `Bearer ${key}` },
    });
    listed += (await res.json()).items.length;
  }
  const expected = new Set(jobIds).size;
  const ok =
    dup.n === 0 &&
    audits.n === expected &&
    audits.jobs === expected &&
    done.n === expected &&
    done.audits === expected &&
    listed === expected &&
    messages.length === 1 &&
    messages[0].state === 'completed' &&
    messages[0].n === expected &&
    messages[0].jobs === expected;
  return { ok, expected, audits: audits.n, doneJobs: done.n, duplicates: dup.n, listed, messages, attempts };
}
