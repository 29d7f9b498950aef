import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/db/audit-repository.js';
import { buildTestApp, buildTestAppOn, KEYS } from '../helpers/app.js';
import { shelfJpeg } from '../helpers/images.js';
import { usePostgres } from '../helpers/postgres.js';

/** The record as the response schema types it (one contract, not a second copy). */
type Audit = AuditRecord;

const backends = [
  { name: 'PGlite (embedded, temp dir)', database: 'pglite', enabled: true },
  { name: 'PostgreSQL (pg, unique schema)', database: 'postgres', enabled: await usePostgres() },
] as const;

describe.each(backends)('audits on $name', ({ name, database, enabled }) => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  let photo: Buffer;
  let photo2: Buffer;

  beforeAll(async () => {
    if (!enabled) return;
    ({ app, close } = await buildTestAppOn(database));
    photo = await shelfJpeg(480, 360);
    photo2 = await shelfJpeg(400, 300);
  });
  afterAll(async () => {
    await close?.();
  });

  const create = (opts: {
    key?: string;
    storeId?: string;
    aisle?: string;
    image?: Buffer;
    idempotencyKey?: string;
    note?: string;
  }) => {
    const query = new URLSearchParams();
    if (opts.storeId !== undefined) query.set('storeId', opts.storeId);
    query.set('aisle', opts.aisle ?? '7');
    if (opts.note) query.set('note', opts.note);
    const headers: Record<string, string> = { 'content-type': 'image/jpeg' };
    if (opts.key) headers.authorization = `Bearer ${opts.key}`;
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    return app.inject({ method: 'POST', url: `/audits?${query}`, payload: opts.image ?? photo, headers });
  };
  const get = (url: string, key?: string) =>
    app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it.runIf(enabled)('stores an audit and reads it back', async () => {
    const res = await create({ key: KEYS.store1, storeId: 'store-1', aisle: 'A3', note: 'after delivery' });
    expect(res.statusCode).toBe(201);
    const audit = res.json<Audit>();
    expect(audit).toMatchObject({
      storeId: 'store-1',
      aisle: 'A3',
      note: 'after delivery',
      image: { width: 480, height: 360 },
    });
    expect(audit.image.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.count).toBe(audit.detections.length);
    expect(audit.rows.every((r) => r.line?.length === 2)).toBe(true);
    expect(audit.detections.every((d) => d.row !== undefined && d.row < audit.rows.length)).toBe(true);
    expect(audit.model.version).toBeTruthy();
    expect(res.headers.location).toBe(`/audits/${audit.id}`);
    const again = await get(`/audits/${audit.id}`, KEYS.store1);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(audit);
  });

  it.runIf(enabled)('reads back audits stored before rows had lines and detections rows', async () => {
    const { record } = await app.audits.insert({
      storeId: 'store-1',
      aisle: 'old',
      note: null,
      model: { name: 'shelfwatch-det', version: '0.1.0' },
      count: 1,
      rows: [{ box: [0, 0, 10, 10], count: 1, gaps: [] }],
      detections: [{ box: [0, 0, 10, 10], score: 0.9, label: 'product' }],
      image: { width: 20, height: 20, sha256: 'a'.repeat(64) },
      apiKeyName: 'store-1-tablet',
      idempotencyKey: null,
    } as unknown as Parameters<typeof app.audits.insert>[0]);
    const res = await get(`/audits/${record.id}`, KEYS.store1);
    expect(res.statusCode).toBe(200);
    const audit = res.json<Audit>();
    expect(audit.rows).toEqual([{ box: [0, 0, 10, 10], count: 1, gaps: [] }]);
    expect(audit.detections).toEqual([{ box: [0, 0, 10, 10], score: 0.9, label: 'product' }]);
  });

  it.runIf(enabled)('accepts multipart with the fields as form fields', async () => {
    const boundary = 'b0undary';
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="storeId"\r\n\r\nstore-1\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="aisle"\r\n\r\nB1\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="s.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      photo,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await app.inject({
      method: 'POST',
      url: '/audits',
      payload,
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        authorization: `Bearer ${KEYS.store1}`,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<Audit>()).toMatchObject({ storeId: 'store-1', aisle: 'B1' });
  });

  it.runIf(enabled)(
    "auth matrix: 401 without a valid key, 403 for another store, 404 for another store's audit",
    async () => {
      const own = (await create({ key: KEYS.store2, storeId: 'store-2' })).json<Audit>();
      expect((await create({ storeId: 'store-1' })).statusCode).toBe(401);
      expect((await create({ key: 'not-a-key', storeId: 'store-1' })).statusCode).toBe(401);
      const basic = await app.inject({
        method: 'POST',
        url: '/audits?storeId=store-1&aisle=1',
        payload: photo,
        headers: { 'content-type': 'image/jpeg', authorization: `Basic ${KEYS.store1}` },
      });
      expect(basic.statusCode).toBe(401);
      expect(basic.headers['www-authenticate']).toBe('Bearer');
      expect(basic.json().error.code).toBe('UNAUTHORIZED');
      expect((await get('/audits')).statusCode).toBe(401);
      expect((await get(`/audits/${own.id}`)).statusCode).toBe(401);
      expect((await get('/audits', 'wrong')).statusCode).toBe(401);

      const forbidden = await create({ key: KEYS.store1, storeId: 'store-2' });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json().error.code).toBe('FORBIDDEN_STORE');
      expect((await create({ key: KEYS.store2, storeId: 'store-3' })).statusCode).toBe(201);
      expect((await create({ key: KEYS.headOffice, storeId: 'store-99' })).statusCode).toBe(201);
      expect((await get('/audits?storeId=store-2', KEYS.store1)).statusCode).toBe(403);
      const hidden = await get(`/audits/${own.id}`, KEYS.store1);
      expect(hidden.statusCode).toBe(404);
      expect(hidden.json().error.code).toBe('NOT_FOUND');
      expect((await get(`/audits/${own.id}`, KEYS.headOffice)).statusCode).toBe(200);

      const mine = (await get('/audits?limit=100', KEYS.store1)).json<{ items: Audit[] }>().items;
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((a) => a.storeId === 'store-1')).toBe(true);
      const theirs = (await get('/audits?limit=100', KEYS.store2)).json<{ items: Audit[] }>().items;
      expect(new Set(theirs.map((a) => a.storeId))).toEqual(new Set(['store-2', 'store-3']));
      const all = (await get('/audits?limit=100', KEYS.headOffice)).json<{ items: Audit[] }>().items;
      expect(new Set(all.map((a) => a.storeId))).toEqual(
        new Set(['store-1', 'store-2', 'store-3', 'store-99']),
      );
    },
  );

  it.runIf(enabled)('rejects a missing or malformed store id with 400', async () => {
    const res = await create({ key: KEYS.headOffice });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('INVALID_REQUEST');
    expect((await create({ key: KEYS.headOffice, storeId: 'no spaces allowed' })).statusCode).toBe(400);
  });

  it.runIf(enabled)('Idempotency-Key: a retry returns the first record, not a second one', async () => {
    const key = `retry-${name}-${Date.now()}`;
    const first = await create({ key: KEYS.store1, storeId: 'store-1', idempotencyKey: key });
    expect(first.statusCode).toBe(201);
    const retry = await create({ key: KEYS.store1, storeId: 'store-1', idempotencyKey: key });
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotency-replayed']).toBe('true');
    expect(retry.json<Audit>().id).toBe(first.json<Audit>().id);
    const listed = (await get('/audits?limit=100', KEYS.store1)).json<{ items: Audit[] }>().items;
    expect(listed.filter((a) => a.id === first.json<Audit>().id)).toHaveLength(1);
    // Concurrent retries (the phone re-sends while the first upload is in flight) also yield one record.
    const key2 = `${key}-concurrent`;
    const [a, b] = await Promise.all([
      create({ key: KEYS.store1, storeId: 'store-1', idempotencyKey: key2 }),
      create({ key: KEYS.store1, storeId: 'store-1', idempotencyKey: key2 }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(a.json<Audit>().id).toBe(b.json<Audit>().id);
    // Same key with another photo is a client bug: 409, nothing stored.
    const conflict = await create({
      key: KEYS.store1,
      storeId: 'store-1',
      idempotencyKey: key,
      image: photo2,
    });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('IDEMPOTENCY_CONFLICT');
    // Keys are scoped per API key: another key may use the same string.
    const other = await create({ key: KEYS.store2, storeId: 'store-2', idempotencyKey: key });
    expect(other.statusCode).toBe(201);
    expect(other.json<Audit>().id).not.toBe(first.json<Audit>().id);
  });

  it.runIf(enabled)('lists newest first with storeId, since and limit filters', async () => {
    const made: Audit[] = [];
    for (const aisle of ['L1', 'L2', 'L3']) {
      made.push((await create({ key: KEYS.store2, storeId: 'store-3', aisle })).json<Audit>());
      await new Promise((r) => setTimeout(r, 5)); // distinct created_at (ms) so that `since` can split them
    }
    const list = (url: string) => get(url, KEYS.store2).then((r) => r.json<{ items: Audit[] }>().items);
    const byStore = await list('/audits?storeId=store-3&limit=100');
    expect(byStore.every((a) => a.storeId === 'store-3')).toBe(true);
    expect(byStore.slice(0, 3).map((a) => a.aisle)).toEqual(['L3', 'L2', 'L1']);
    const since = await list(`/audits?storeId=store-3&since=${encodeURIComponent(made[1]!.createdAt)}`);
    expect(since.map((a) => a.aisle)).toEqual(['L3', 'L2']);
    const limited = await list('/audits?storeId=store-3&limit=1');
    expect(limited.map((a) => a.id)).toEqual([made[2]!.id]);
    for (const bad of ['limit=0', 'limit=101', 'since=yesterday']) {
      expect((await get(`/audits?${bad}`, KEYS.store2)).statusCode, bad).toBe(400);
    }
    expect((await get('/audits/not-a-uuid', KEYS.store2)).statusCode).toBe(400);
    expect((await get('/audits/00000000-0000-4000-8000-000000000000', KEYS.store2)).statusCode).toBe(404);
  });

  it.runIf(enabled)('counts created audits in /metrics', async () => {
    expect((await app.inject('/metrics')).body).toMatch(/shelfwatch_audits_created_total [1-9]/);
  });
});

describe('PostgreSQL down at start', () => {
  it('serves /predict, answers 503 on readiness and audits, and keeps retrying', async () => {
    const { app, close } = await buildTestApp({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const ready = await app.inject('/health/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ checks: { database: false, model: true } });
      const audit = await app.inject({
        method: 'POST',
        url: '/audits?storeId=store-1&aisle=1',
        payload: await shelfJpeg(160, 120),
        headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${KEYS.store1}` },
      });
      expect(audit.statusCode).toBe(503);
      expect(audit.json().error.code).toBe('NOT_READY');
      expect(audit.headers['retry-after']).toBe('2');
      // every audit route, before authentication (the hook of the audit routes, not a global one)
      for (const url of [
        '/audits?storeId=store-1',
        `/audits/jobs/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
      ]) {
        const res = await app.inject({ url, headers: { authorization: `Bearer ${KEYS.store1}` } });
        expect([res.statusCode, res.json().error.code], url).toEqual([503, 'NOT_READY']);
      }
      expect((await app.inject('/audits')).statusCode).toBe(503);
      const predict = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: await shelfJpeg(160, 120),
        headers: { 'content-type': 'image/jpeg' },
      });
      expect(predict.statusCode).toBe(200);
    } finally {
      await close();
    }
  });
});
