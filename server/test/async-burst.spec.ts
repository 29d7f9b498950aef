import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from './helpers/app.js';
import { postImage, request } from './helpers/http.js';
import { hasSharedPhotos, sharedPhoto, shelfJpeg } from './helpers/images.js';
import { type Job, submitAsync, waitForJob } from './helpers/jobs.js';
import { createTestSchema, usePostgres } from './helpers/postgres.js';
import { type SpawnedServer, spawnServer } from './helpers/spawn-server.js';
import { waitFor } from './helpers/wait.js';

// Issue 13, done-when: a burst of asynchronous audits against the built API (JOB_CONSUMERS=false)
// with a separate `shelfwatch worker` process on PostgreSQL; the worker is SIGKILLed mid-burst and
// started again. No job may be lost and none processed twice. The CI size is small (48 jobs);
// server/bench/async-burst.mjs runs the 500-photo version whose output is in server/README.md.
const enabled = await usePostgres();
const CLIENTS = 8;
const PER_CLIENT = 6;

describe.runIf(enabled)('a burst with a worker process SIGKILLed mid-burst (PostgreSQL)', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let api: SpawnedServer;
  const workers: SpawnedServer[] = [];
  let db: pg.Client;
  const jobEnv = () => ({
    ...schema.env,
    JOB_SUPERVISE_SECONDS: '1',
    JOB_HEARTBEAT_SECONDS: '10',
    JOB_RETRY_DELAY_SECONDS: '1',
  });

  beforeAll(async () => {
    schema = await createTestSchema();
    [api] = await Promise.all([
      spawnServer({ ...jobEnv(), JOB_CONSUMERS: 'false' }),
      spawnServer({ ...jobEnv(), JOB_CONCURRENCY: '2' }, { worker: true }).then((w) => workers.push(w)),
    ]);
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
  }, 180_000);
  afterAll(async () => {
    await db?.end();
    await Promise.all([api?.kill(), ...workers.map((w) => w.kill())]);
    await schema?.drop();
  });

  it('every submit 202, every job done exactly once, /predict answered', async () => {
    const images = await Promise.all(
      Array.from({ length: CLIENTS * PER_CLIENT }, (_, i) => shelfJpeg(360 + 4 * i, 270 + 3 * i)),
    );
    // One real shelf photo in the mix where the shared data is there.
    if (hasSharedPhotos) images[0] = sharedPhoto(0);
    const predictions: number[] = [];
    let bursting = true;
    const predictLoop = (async () => {
      while (bursting) {
        const r = await postImage(api.base, '/predict', images[1]!, 'image/jpeg');
        predictions.push(r.status);
      }
    })();

    // The kill: as soon as the worker is running a job and has finished a few, SIGKILL it.
    const killed = (async () => {
      const running = await waitFor(
        async () => {
          const { rows } = await db.query<{ id: string; status: string }>(
            "SELECT id, status FROM audit_jobs WHERE status IN ('running', 'done')",
          );
          const active = rows.filter((r) => r.status === 'running').map((r) => r.id);
          return rows.length - active.length >= 4 && active.length > 0 ? active : undefined;
        },
        'the worker to be running a job',
        120_000,
        20,
      );
      workers[0]!.child.kill('SIGKILL');
      expect(await workers[0]!.exited).toBe(null); // killed by the signal, no exit code
      return running;
    })();

    const submitted: { key: string; image: Buffer; status: number; job: Job; ms: number }[] = [];
    try {
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let i = 0; i < PER_CLIENT; i++) {
            const image = images[c * PER_CLIENT + i]!;
            const key = randomUUID();
            const r = await submitAsync(api.base, {
              key: KEYS.store1,
              storeId: 'store-1',
              aisle: 'burst',
              image,
              idempotencyKey: key,
            });
            submitted.push({ key, image, status: r.status, job: r.json<{ job: Job }>().job, ms: r.ms });
          }
        }),
      );
      expect(submitted.map((s) => s.status)).toEqual(submitted.map(() => 202));
      // Retried submits (a phone that lost the answer) get the same job, during the burst.
      for (const s of submitted.slice(0, 6)) {
        const again = await submitAsync(api.base, {
          key: KEYS.store1,
          storeId: 'store-1',
          aisle: 'burst',
          image: s.image,
          idempotencyKey: s.key,
        });
        expect(again.status).toBe(202);
        expect(again.json<{ job: Job }>().job.id).toBe(s.job.id);
      }

      const runningAtKill = await killed;
      // Started again, as Kubernetes would restart it.
      workers.push(await spawnServer({ ...jobEnv(), JOB_CONCURRENCY: '2' }, { worker: true }));
      const jobs = await Promise.all(
        submitted.map((s) => waitForJob(api.base, KEYS.store1, s.job.id, 180_000)),
      );
      expect(jobs.filter((j) => j.status !== 'done')).toEqual([]);

      // Exactly once: one audit per job, none without its job, the API's listing agrees.
      const audits = await db.query<{ job_id: string; n: string }>(
        'SELECT job_id, count(*) AS n FROM audits GROUP BY job_id',
      );
      expect(audits.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
      expect(audits.rows.map((r) => r.job_id).sort()).toEqual(jobs.map((j) => j.id).sort());
      expect(new Set(jobs.map((j) => j.auditId)).size).toBe(jobs.length);
      const list = await request(`${api.base}/audits?storeId=store-1&limit=100`, {
        headers: { authorization: `Bearer ${KEYS.store1}` },
      });
      expect(list.json<{ items: unknown[] }>().items).toHaveLength(jobs.length);
      // pg-boss holds one message per job, completed (a retried one is the same row, retried). A job
      // the killed worker finished but had not yet completed in pg-boss is delivered again once its
      // heartbeat stops, and left alone (it is done): the queue settles after the jobs are done.
      const messages = await waitFor(
        async () => {
          const r = await db.query<{ job_id: string; state: string; n: string }>(
            `SELECT data->>'jobId' AS job_id, state, count(*) AS n FROM ${schema.jobSchema}.job
             WHERE name = 'audits' GROUP BY 1, 2`,
          );
          return r.rows.some((m) => ['created', 'retry', 'active'].includes(m.state)) ? undefined : r;
        },
        'every queue message to settle',
        120_000,
        200,
      );
      expect(messages.rows.filter((r) => r.state !== 'completed' || Number(r.n) !== 1)).toEqual([]);
      expect(messages.rows).toHaveLength(jobs.length);
      // The jobs the killed worker held were taken over once its heartbeat stopped.
      for (const id of runningAtKill) {
        const job = jobs.find((j) => j.id === id);
        expect(job?.status, id).toBe('done');
      }
      const attempts = jobs.filter((j) => runningAtKill.includes(j.id)).map((j) => j.attempts);
      console.info(
        `burst: ${jobs.length} jobs, ${runningAtKill.length} running at the SIGKILL (attempts ${attempts.join(', ')}), ` +
          `accept p50 ${percentile(
            submitted.map((s) => s.ms),
            50,
          ).toFixed(0)} ms, ` +
          `${predictions.filter((s) => s === 200).length} /predict answered`,
      );
    } finally {
      bursting = false;
      await predictLoop;
    }
    expect(predictions).toContain(200);
    expect(predictions.every((s) => s === 200 || s === 503)).toBe(true);
    const workerMetrics = (await request(`${workers.at(-1)!.base}/metrics`)).body;
    expect(workerMetrics).toMatch(/shelfwatch_audit_jobs_finished_total\{status="done",code="OK"\} [1-9]/);
    // A worker serves no API.
    expect((await request(`${workers.at(-1)!.base}/audits`)).status).toBe(404);
  }, 400_000);
});

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
