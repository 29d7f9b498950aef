import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/auth/api-keys.js';
import { buildTestApp, buildTestAppOn, KEYS } from '../helpers/app.js';
import { listen, partialRequest, postImage, request } from '../helpers/http.js';
import { exifLoopJpeg, pngDeclaring, shelfJpeg } from '../helpers/images.js';
import { getJob, type Job, submitAsync, waitForJob } from '../helpers/jobs.js';
import { usePostgres } from '../helpers/postgres.js';

// Issue 13: POST /audits with `Prefer: respond-async` over a real socket, on the embedded PGlite
// (pg-boss through its PGlite adapter, jobs run in this process) and on PostgreSQL (pg-boss with
// its own pool and schema per run).
const backends = [
  { name: 'PGlite (embedded, jobs in-process)', database: 'pglite', enabled: true },
  { name: 'PostgreSQL (pg-boss schema per run)', database: 'postgres', enabled: await usePostgres() },
] as const;

interface Audit {
  id: string;
  storeId: string;
  aisle: string;
  count: number;
  image: { width: number; height: number; sha256: string };
}

describe.each(backends)('async audits on $name', ({ database, enabled }) => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let base: string;
  let photo: Buffer;

  beforeAll(async () => {
    if (!enabled) return;
    ({ app, close } = await buildTestAppOn(database, { JOB_SUPERVISE_SECONDS: '1', JOB_CONCURRENCY: '2' }));
    base = await listen(app);
    photo = await shelfJpeg(480, 360);
  });
  afterAll(async () => {
    await close?.();
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const submit = (o: Partial<Parameters<typeof submitAsync>[1]> = {}) =>
    submitAsync(base, { key: KEYS.store1, storeId: 'store-1', aisle: 'A1', image: photo, ...o });

  it.runIf(enabled)(
    '202 at once, then the job is done and names the stored audit and its photo',
    async () => {
      const key = randomUUID();
      const res = await submit({ idempotencyKey: key });
      expect(res.status, res.body).toBe(202);
      const { job } = res.json<{ job: Job }>();
      expect(job).toMatchObject({
        status: 'queued',
        storeId: 'store-1',
        aisle: 'A1',
        idempotencyKey: key,
        image: { sha256: sha256Hex(photo) },
        attempts: 0,
      });
      expect(res.headers.location).toBe(`/audits/jobs/${job.id}`);
      expect(res.headers['preference-applied']).toBe('respond-async');
      expect(res.headers['idempotency-key']).toBe(key);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['idempotency-replayed']).toBeUndefined();

      const done = await waitForJob(base, KEYS.store1, job.id);
      expect(done).toMatchObject({ id: job.id, status: 'done', attempts: 1 });
      expect(done.error).toBeUndefined();
      const polled = await getJob(base, KEYS.store1, job.id);
      expect(polled.headers['content-location']).toBe(`/audits/${done.auditId}`);
      expect(polled.headers['retry-after']).toBeUndefined();

      const audit = await request(`${base}/audits/${done.auditId}`, { headers: auth(KEYS.store1) });
      expect(audit.status).toBe(200);
      expect(audit.json<Audit>()).toMatchObject({
        storeId: 'store-1',
        aisle: 'A1',
        image: { width: 480, height: 360, sha256: sha256Hex(photo) },
      });
      expect(audit.json<Audit>().count).toBeGreaterThan(0);

      // The photo is kept byte for byte, served under the same key scope.
      const res2 = await fetch(`${base}/audits/${done.auditId}/photo`, { headers: auth(KEYS.store1) });
      expect(res2.status).toBe(200);
      expect(res2.headers.get('content-type')).toBe('image/jpeg');
      expect(res2.headers.get('etag')).toBe(`"${sha256Hex(photo)}"`);
      expect(Buffer.from(await res2.arrayBuffer()).equals(photo)).toBe(true);
      const headOffice = await fetch(`${base}/audits/${done.auditId}/photo`, {
        headers: auth(KEYS.headOffice),
      });
      expect(headOffice.status).toBe(200);
      const otherStore = await request(`${base}/audits/${done.auditId}/photo`, {
        headers: auth(KEYS.store2),
      });
      expect(otherStore.status).toBe(404);
      expect(otherStore.json().error.code).toBe('NOT_FOUND');
    },
  );

  it.runIf(enabled)(
    'the same Idempotency-Key returns the same job, concurrent retries too, and one audit',
    async () => {
      const key = randomUUID();
      const image = await shelfJpeg(400, 300);
      const first = await Promise.all(
        Array.from({ length: 4 }, () => submit({ idempotencyKey: key, image, aisle: 'idem' })),
      );
      expect(first.map((r) => r.status)).toEqual([202, 202, 202, 202]);
      const ids = new Set(first.map((r) => r.json<{ job: Job }>().job.id));
      expect(ids.size).toBe(1);
      expect(first.filter((r) => r.headers['idempotency-replayed'] === 'true')).toHaveLength(3);
      const [id] = [...ids] as [string];
      const done = await waitForJob(base, KEYS.store1, id);
      const later = await submit({ idempotencyKey: key, image, aisle: 'idem' });
      expect(later.status).toBe(202);
      expect(later.headers['idempotency-replayed']).toBe('true');
      expect(later.json<{ job: Job }>().job).toMatchObject({ id, status: 'done', auditId: done.auditId });
      const list = await request(`${base}/audits?storeId=store-1&limit=100`, { headers: auth(KEYS.store1) });
      const items = list.json<{ items: Audit[] }>().items.filter((a) => a.aisle === 'idem');
      expect(items.map((a) => a.id)).toEqual([done.auditId]);
      // The key with another photo, store or aisle is a conflict, as on the synchronous route.
      const other = await submit({ idempotencyKey: key, image: photo, aisle: 'idem' });
      expect(other.status).toBe(409);
      expect(other.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
      const otherAisle = await submit({ idempotencyKey: key, image, aisle: 'elsewhere' });
      expect(otherAisle.status).toBe(409);
    },
  );

  it.runIf(enabled)('a key the synchronous route already used gives a done job with that audit', async () => {
    const key = randomUUID();
    const image = await shelfJpeg(420, 315);
    const sync = await postImage(base, '/audits?storeId=store-1&aisle=S1', image, 'image/jpeg', {
      ...auth(KEYS.store1),
      'idempotency-key': key,
    });
    expect(sync.status).toBe(201);
    expect(sync.headers['idempotency-key']).toBe(key);
    const audit = sync.json<Audit>();
    // The synchronous route keeps the photo too.
    const kept = await fetch(`${base}/audits/${audit.id}/photo`, { headers: auth(KEYS.store1) });
    expect(Buffer.from(await kept.arrayBuffer()).equals(image)).toBe(true);
    const res = await submit({ idempotencyKey: key, image, aisle: 'S1' });
    expect(res.status).toBe(202);
    expect(res.headers['idempotency-replayed']).toBe('true');
    expect(res.json<{ job: Job }>().job).toMatchObject({ status: 'done', auditId: audit.id });
    expect((await submit({ idempotencyKey: key, image: photo, aisle: 'S1' })).status).toBe(409);
  });

  it.runIf(enabled)('without respond-async the route stays synchronous (201)', async () => {
    for (const prefer of ['', 'wait=10', 'return=minimal']) {
      const res = await submit({ prefer });
      expect(res.status, prefer).toBe(201);
      expect(res.headers['preference-applied']).toBeUndefined();
    }
    const res = await submit({ prefer: 'return=minimal, Respond-Async; wait=10' });
    expect(res.status).toBe(202);
  });

  it.runIf(enabled)('refuses a bad request at once, before any job: 401, 403, 400, 415', async () => {
    expect(
      (await submitAsync(base, { key: 'nope', storeId: 'store-1', aisle: 'x', image: photo })).status,
    ).toBe(401);
    const forbidden = await submit({ storeId: 'store-2' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json().error.code).toBe('FORBIDDEN_STORE');
    const noAisle = await postImage(base, '/audits?storeId=store-1', photo, 'image/jpeg', {
      ...auth(KEYS.store1),
      prefer: 'respond-async',
    });
    expect(noAisle.status).toBe(400);
    const control = await submit({ aisle: 'a\u0000b' });
    expect(control.status).toBe(400);
    const json = await submit({ contentType: 'application/json' });
    expect(json.status).toBe(415);
    const badPrefer = await postImage(base, '/audits?storeId=store-1&aisle=1', photo, 'image/jpeg', {
      ...auth(KEYS.store1),
      prefer: `respond-async, ${'x'.repeat(300)}`,
    });
    expect(badPrefer.status).toBe(400);
    const empty = await submit({ image: Buffer.alloc(0) });
    expect(empty.status).toBe(400);
    expect(empty.json().error.code).toBe('EMPTY_BODY');
  });

  // What only the image itself reveals ends as a failed job with the code the synchronous route gives.
  const badImages: { name: string; make: () => Promise<{ bytes: Buffer; type: string }> }[] = [
    {
      name: 'truncated JPEG',
      make: async () => {
        const full = await shelfJpeg(640, 480);
        return { bytes: full.subarray(0, Math.floor(full.length * 0.6)), type: 'image/jpeg' };
      },
    },
    {
      name: 'text posing as JPEG',
      make: async () => ({ bytes: Buffer.from('not a shelf\n'.repeat(40)), type: 'image/jpeg' }),
    },
    {
      name: 'GIF sent as image/jpeg',
      make: async () => ({
        bytes: await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } })
          .gif()
          .toBuffer(),
        type: 'image/jpeg',
      }),
    },
    {
      name: 'PNG declaring 30000x30000 pixels',
      make: async () => ({ bytes: pngDeclaring(30_000, 30_000), type: 'image/png' }),
    },
    {
      name: 'JPEG whose EXIF loops',
      make: async () => ({ bytes: await exifLoopJpeg(), type: 'image/jpeg' }),
    },
  ];
  it.runIf(enabled)('bad images: a failed job with the synchronous 4xx code, never a 5xx', async () => {
    for (const c of badImages) {
      const { bytes, type } = await c.make();
      const sync = await postImage(base, '/audits?storeId=store-1&aisle=bad', bytes, type, auth(KEYS.store1));
      expect(sync.status, c.name).toBeGreaterThanOrEqual(400);
      expect(sync.status, c.name).toBeLessThan(500);
      const res = await submit({ image: bytes, contentType: type, aisle: 'bad' });
      expect(res.status, c.name).toBe(202);
      const job = await waitForJob(base, KEYS.store1, res.json<{ job: Job }>().job.id);
      expect(job, c.name).toMatchObject({ status: 'failed', error: { code: sync.json().error.code } });
      expect(job.auditId).toBeUndefined();
      expect(job.attempts, `${c.name}: a client error is not retried`).toBe(1);
    }
    const metrics = (await request(`${base}/metrics`)).body;
    expect(metrics).toMatch(
      /shelfwatch_audit_jobs_finished_total\{status="failed",code="UNDECODABLE_IMAGE"\} [1-9]/,
    );
  });

  it.runIf(enabled)(
    "unknown jobs and other stores' jobs are 404; malformed ids and unknown keys 400",
    async () => {
      const res = await submit({ storeId: 'store-1' });
      const { job } = res.json<{ job: Job }>();
      expect((await getJob(base, KEYS.store1, randomUUID())).status).toBe(404);
      const other = await getJob(base, KEYS.store2, job.id);
      expect(other.status).toBe(404);
      expect(other.json().error.code).toBe('NOT_FOUND');
      expect((await getJob(base, KEYS.headOffice, job.id)).status).toBe(200);
      expect((await getJob(base, KEYS.store1, job.id.toUpperCase())).status).toBe(200);
      expect((await getJob(base, KEYS.store1, 'not-a-uuid')).status).toBe(400);
      expect((await getJob(base, KEYS.store1, `urn:uuid:${job.id}`)).status).toBe(400);
      const extra = await request(`${base}/audits/jobs/${job.id}?verbose=1`, { headers: auth(KEYS.store1) });
      expect(extra.status).toBe(400);
      expect((await request(`${base}/audits/jobs/${job.id}`)).status).toBe(401);
      expect(
        (await request(`${base}/audits/${randomUUID()}/photo`, { headers: auth(KEYS.store1) })).status,
      ).toBe(404);
      await waitForJob(base, KEYS.store1, job.id);
    },
  );

  it.runIf(enabled)(
    'a burst in-process: every submit 202, each job done exactly once, /predict answered',
    async () => {
      const clients = 4;
      const perClient = 4;
      const images = await Promise.all(
        Array.from({ length: clients * perClient }, (_, i) => shelfJpeg(320 + 8 * i, 240 + 6 * i)),
      );
      const predictions: number[] = [];
      let bursting = true;
      const predictLoop = (async () => {
        while (bursting)
          predictions.push((await postImage(base, '/predict', images[0]!, 'image/jpeg')).status);
      })();
      try {
        const submitted = await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            const out: { status: number; id: string }[] = [];
            for (let i = 0; i < perClient; i++) {
              const image = images[c * perClient + i]!;
              const r = await submit({ image, idempotencyKey: randomUUID(), aisle: 'burst' });
              out.push({ status: r.status, id: r.json<{ job: Job }>().job.id });
            }
            return out;
          }),
        );
        const all = submitted.flat();
        expect(all.map((s) => s.status)).toEqual(all.map(() => 202));
        const jobs = await Promise.all(all.map((s) => waitForJob(base, KEYS.store1, s.id, 120_000)));
        expect(jobs.every((j) => j.status === 'done')).toBe(true);
        expect(new Set(jobs.map((j) => j.auditId)).size).toBe(all.length);
        const list = await request(`${base}/audits?storeId=store-1&limit=100`, {
          headers: auth(KEYS.store1),
        });
        const burst = list.json<{ items: Audit[] }>().items.filter((a) => a.aisle === 'burst');
        expect(burst.map((a) => a.id).sort()).toEqual(jobs.map((j) => j.auditId).sort());
      } finally {
        bursting = false;
        await predictLoop;
      }
      expect(predictions.length).toBeGreaterThan(0);
      expect(predictions.every((s) => s === 200 || s === 503)).toBe(true);
      expect(predictions).toContain(200);
      const metrics = (await request(`${base}/metrics`)).body;
      expect(metrics).toMatch(/shelfwatch_audit_jobs_accepted_total [1-9]/);
      expect(metrics).toMatch(/shelfwatch_audit_job_duration_seconds_count\{outcome="done"\} [1-9]/);
      expect(metrics).toMatch(/shelfwatch_audit_jobs\{status="queued"\} \d/);
      expect(metrics).toMatch(/shelfwatch_audit_job_oldest_age_seconds \d/);
    },
    180_000,
  );

  it.runIf(enabled)(
    'retention deletes old photos and finished jobs; the audit stays',
    async () => {
      const res = await submit({ idempotencyKey: randomUUID() });
      const done = await waitForJob(base, KEYS.store1, res.json<{ job: Job }>().job.id);
      const pending = await submit({ idempotencyKey: randomUUID() });
      // 91 days on (PHOTO_RETENTION_DAYS defaults to 90): everything finished so far is old.
      const swept = await app.jobs.sweepRetention(new Date(Date.now() + 91 * 86_400_000));
      expect(swept.photos).toBeGreaterThan(0);
      const photoRes = await request(`${base}/audits/${done.auditId}/photo`, { headers: auth(KEYS.store1) });
      expect(photoRes.status).toBe(404);
      expect((await request(`${base}/audits/${done.auditId}`, { headers: auth(KEYS.store1) })).status).toBe(
        200,
      );
      expect((await getJob(base, KEYS.store1, done.id)).status).toBe(404);
      // A job still queued or running keeps its photo: it finishes after the sweep.
      const after = await waitForJob(base, KEYS.store1, pending.json<{ job: Job }>().job.id);
      expect(after.status).toBe('done');
    },
    120_000,
  );
});

describe('transient failures: retried with backoff, then dead-lettered (PGlite)', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let base: string;

  beforeAll(async () => {
    // A 1 ms inference budget that no photo can meet (decoding alone takes longer), so the outcome does
    // not depend on how fast this machine is: every attempt ends in INFERENCE_TIMEOUT (503), a
    // transient error, as a saturated worker would give.
    ({ app, close } = await buildTestApp({
      TASK_TIMEOUT_MS: '1',
      JOB_MAX_ATTEMPTS: '2',
      JOB_RETRY_DELAY_SECONDS: '1',
      JOB_SUPERVISE_SECONDS: '1',
    }));
    base = await listen(app);
  });
  afterAll(async () => close?.());

  it('fails after JOB_MAX_ATTEMPTS with the last transient code; a resubmit runs it again', async () => {
    const big = await sharp({
      create: { width: 4096, height: 4096, channels: 3, background: '#8a7f70' },
    })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const key = randomUUID();
    const res = await submitAsync(base, {
      key: KEYS.store1,
      storeId: 'store-1',
      aisle: 'slow',
      image: big,
      contentType: 'image/png',
      idempotencyKey: key,
    });
    expect(res.status).toBe(202);
    const id = res.json<{ job: Job }>().job.id;
    const job = await waitForJob(base, KEYS.store1, id, 90_000);
    expect(job).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'INFERENCE_TIMEOUT' } });
    const metrics = (await request(`${base}/metrics`)).body;
    expect(metrics).toMatch(/shelfwatch_audit_jobs_dead_lettered_total 1/);
    expect(metrics).toMatch(/shelfwatch_audit_job_retries_total\{code="INFERENCE_TIMEOUT"\} 2/);
    // INFERENCE_TIMEOUT is retryable: the same key queues the same job again.
    const again = await submitAsync(base, {
      key: KEYS.store1,
      storeId: 'store-1',
      aisle: 'slow',
      image: big,
      contentType: 'image/png',
      idempotencyKey: key,
    });
    expect(again.status).toBe(202);
    expect(again.json<{ job: Job }>().job).toMatchObject({ id, status: 'queued' });
    expect(again.json<{ job: Job }>().job.error).toBeUndefined();
    const rerun = await waitForJob(base, KEYS.store1, id, 90_000);
    expect(rerun).toMatchObject({ status: 'failed', attempts: 4, error: { code: 'INFERENCE_TIMEOUT' } });
  }, 240_000);
});

describe('asynchronous admission: upload slots and the job backlog (PGlite)', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let base: string;

  beforeAll(async () => {
    ({ app, close } = await buildTestApp({ ASYNC_UPLOAD_SLOTS: '1', JOB_QUEUE_LIMIT: '1' }));
    base = await listen(app);
  });
  afterAll(async () => close?.());

  const submit = (image: Buffer, contentType = 'image/jpeg') =>
    submitAsync(base, { key: KEYS.store1, storeId: 'store-1', aisle: 'limits', image, contentType });

  it('a stalled upload holds the one slot: the next submit is 503 before its body is read', async () => {
    const stalled = partialRequest(
      base,
      `POST /audits?storeId=store-1&aisle=x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${KEYS.store1}\r\n` +
        'Prefer: respond-async\r\nContent-Type: image/jpeg\r\nContent-Length: 500000',
      Buffer.from([0xff, 0xd8, 0xff]),
      30_000,
    );
    try {
      await expect
        .poll(async () => (await submit(await shelfJpeg(200, 150))).status, { timeout: 5_000 })
        .toBe(503);
      const refused = await submit(await shelfJpeg(200, 150));
      expect(refused.json().error.code).toBe('QUEUE_FULL');
      expect(refused.headers['retry-after']).toBe('1');
      // The synchronous route has its own admission: unaffected.
      const sync = await postImage(
        base,
        '/audits?storeId=store-1&aisle=x',
        await shelfJpeg(200, 150),
        'image/jpeg',
        {
          authorization: `Bearer ${KEYS.store1}`,
        },
      );
      expect(sync.status).toBe(201);
    } finally {
      stalled.socket.destroy();
    }
    await expect
      .poll(async () => (await submit(await shelfJpeg(210, 150))).status, { timeout: 10_000 })
      .toBe(202);
  });

  it('JOB_QUEUE_LIMIT jobs waiting or running: 503 until the backlog is worked off', async () => {
    await expect
      .poll(async () => (await app.jobs.refreshDepth()).queued + (await app.jobs.refreshDepth()).running, {
        timeout: 30_000,
      })
      .toBe(0);
    // A 16 MP PNG keeps the one job running for a while.
    const big = await sharp({ create: { width: 4096, height: 4096, channels: 3, background: '#8a7f70' } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const first = await submit(big, 'image/png');
    expect(first.status).toBe(202);
    const second = await submit(await shelfJpeg(220, 165));
    expect(second.status).toBe(503);
    expect(second.json().error.code).toBe('QUEUE_FULL');
    await waitForJob(base, KEYS.store1, first.json<{ job: Job }>().job.id, 60_000);
    await app.jobs.refreshDepth();
    expect((await submit(await shelfJpeg(220, 165))).status).toBe(202);
  }, 90_000);
});
