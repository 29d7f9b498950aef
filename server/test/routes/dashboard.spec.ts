/**
 * The store dashboard's API (GET /stores/{storeId}/summary, GET /stores/{storeId}/aisles/{aisle}/history)
 * on both backends, over a real socket: audits with known rows and gaps at known times, numbers
 * checked against values worked out by hand, key scopes, CSV, refusals, and the plans on a store
 * with history (index-backed).
 */

import type { AisleHistory as History, StoreSummary as Summary } from '@shelfwatch/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardRepository } from '../../src/db/dashboard-repository.js';
import { insertAudits, type SeedAudit, syntheticAudits } from '../../src/db/seed-audits.js';
import { buildTestApp, KEYS } from '../helpers/app.js';
import { listen, type Reply, request } from '../helpers/http.js';
import { shelfJpeg } from '../helpers/images.js';
import { createTestSchema, postgresReachable } from '../helpers/postgres.js';

const pgReachable = await postgresReachable();
if (!pgReachable)
  console.warn('PostgreSQL at 127.0.0.1:5432 is not reachable: the PostgreSQL dashboard tests are skipped');

const backends = [
  { name: 'PGlite (embedded, temp dir)', enabled: true },
  // CI has PostgreSQL running; there a missing server must fail the run, not skip it.
  { name: 'PostgreSQL (pg, unique schema)', enabled: pgReachable || Boolean(process.env.CI) },
] as const;

type Box = [number, number, number, number];
const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();
const SINCE = at(0);
const UNTIL = at(72);

/** An audit whose rows have these product counts and these numbers of gaps. */
function audit(
  storeId: string,
  aisle: string,
  createdAt: string,
  rows: [count: number, gaps: number][],
): SeedAudit {
  const gap: Box = [10, 10, 20, 20];
  return {
    storeId,
    aisle,
    createdAt,
    note: null,
    apiKeyName: 'test',
    model: { name: 'test', version: '0' },
    count: rows.reduce((s, [c]) => s + c, 0),
    rows: rows.map(([count, gaps]) => ({
      box: [0, 0, 100, 30],
      line: [
        [0, 30],
        [100, 30],
      ],
      count,
      gaps: Array.from({ length: gaps }, () => gap),
    })),
    detections: [],
    image: { width: 100, height: 100, sha256: 'c'.repeat(64) },
  };
}

/**
 * store-1, range [T0, T0 + 72 h):
 *   A1      at 10 h, 34 h, 58 h: counts 10, 12, 14; rows 2, 3, 2; gaps 1, 2, 0
 *           -> mean 12, rows 7, gaps 3, gap rate 3/7, count slope +2/day, gaps slope -0.5/day
 *   B 2/x   at 12 h, 36 h: counts 3, 4; rows 1, 2; gaps 2, 2 -> rate 4/3, count slope +1/day, gaps 0
 *   C       at 0 h (= since, included): no rows -> gap rate null, slopes null (one audit)
 * Outside: A1 at -240 h and at 72 h (= until, excluded); store-2's A1.
 * Order by gap rate: B 2/x (1.333), A1 (0.4286), C (null).
 */
const HAND = [
  audit('store-1', 'A1', at(10), [
    [5, 1],
    [5, 0],
  ]),
  audit('store-1', 'A1', at(34), [
    [4, 1],
    [4, 1],
    [4, 0],
  ]),
  audit('store-1', 'A1', at(58), [
    [7, 0],
    [7, 0],
  ]),
  audit('store-1', 'B 2/x', at(12), [[3, 2]]),
  audit('store-1', 'B 2/x', at(36), [
    [2, 1],
    [2, 1],
  ]),
  audit('store-1', 'C', at(0), []),
  audit('store-1', 'A1', at(-240), [[99, 9]]),
  audit('store-1', 'A1', at(72), [[98, 9]]),
  audit('store-2', 'A1', at(20), [[50, 5]]),
  audit('store-3', '=HYPERLINK("http://x")', at(20), [[1, 0]]),
];

/** A sparkline of 24 spans of 3 h with these values, null elsewhere. */
const spark = (values: Record<number, number>) =>
  Array.from({ length: 24 }, (_, i) => (i in values ? values[i] : null));

describe.each(backends)('store dashboard on $name', ({ name, enabled }) => {
  let app: FastifyInstance;
  let base: string;
  let close: () => Promise<void>;
  let dropSchema: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (!enabled) return;
    const overrides: Record<string, string> = {};
    if (name.startsWith('PostgreSQL')) {
      const schema = await createTestSchema();
      Object.assign(overrides, schema.env);
      dropSchema = schema.drop;
    }
    ({ app, close } = await buildTestApp(overrides));
    base = await listen(app);
    await insertAudits(app.db, HAND);
  }, 120_000);
  afterAll(async () => {
    await close?.();
    await dropSchema?.();
  });

  const get = (path: string, key: string | null = KEYS.store1, headers: Record<string, string> = {}) =>
    request(`${base}${path}`, { headers: key ? { authorization: `Bearer ${key}`, ...headers } : headers });
  const range = `since=${encodeURIComponent(SINCE)}&until=${encodeURIComponent(UNTIL)}`;
  const code = (r: Reply) => r.json().error.code;

  it.runIf(enabled)('summarises each aisle in the range, worst gap rate first (hand-computed)', async () => {
    const res = await get(`/stores/store-1/summary?${range}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<Summary>();
    expect(body.storeId).toBe('store-1');
    expect(body.range).toEqual({ since: SINCE, until: UNTIL });
    expect(body.aisles.map((a) => a.aisle)).toEqual(['B 2/x', 'A1', 'C']);
    const [b, a1, c] = body.aisles;
    expect(a1).toMatchObject({
      audits: 3,
      firstAt: at(10),
      lastAt: at(58),
      last: { count: 14, rows: 2, gaps: 0 },
      meanCount: 12,
      rows: 7,
      gaps: 3,
    });
    expect(a1!.gapRate).toBeCloseTo(3 / 7, 12);
    expect(a1!.trend.countPerDay).toBeCloseTo(2, 9);
    expect(a1!.trend.gapsPerDay).toBeCloseTo(-0.5, 9);
    // 3 h spans: 10 h -> 3, 34 h -> 11, 58 h -> 19.
    expect(a1!.spark).toEqual(spark({ 3: 0.5, 11: 2 / 3, 19: 0 }));
    expect(b).toMatchObject({
      audits: 2,
      meanCount: 3.5,
      rows: 3,
      gaps: 4,
      last: { count: 4, rows: 2, gaps: 2 },
    });
    expect(b!.gapRate).toBeCloseTo(4 / 3, 12);
    expect(b!.trend.countPerDay).toBeCloseTo(1, 9);
    expect(b!.trend.gapsPerDay).toBeCloseTo(0, 9);
    expect(b!.spark).toEqual(spark({ 4: 2, 12: 1 }));
    expect(c).toMatchObject({ audits: 1, firstAt: SINCE, meanCount: 0, rows: 0, gaps: 0, gapRate: null });
    expect(c!.trend).toEqual({ countPerDay: null, gapsPerDay: null });
    expect(c!.spark).toEqual(spark({}));
    // The latest audit is a real one: it reads back through GET /audits/{id}.
    const last = await get(`/audits/${a1!.last.auditId}`);
    expect(last.status).toBe(200);
    expect(last.json<{ count: number; createdAt: string }>()).toMatchObject({ count: 14, createdAt: at(58) });
  });

  it.runIf(enabled)(
    "an aisle's history: oldest first, newest `limit` of them, aisle names with / and spaces",
    async () => {
      const res = await get(`/stores/store-1/aisles/A1/history?${range}`);
      expect(res.status).toBe(200);
      const body = res.json<History>();
      expect(body).toMatchObject({
        storeId: 'store-1',
        aisle: 'A1',
        truncated: false,
        range: { since: SINCE, until: UNTIL },
      });
      expect(body.points.map((p) => [p.createdAt, p.count, p.rows, p.gaps, p.photo])).toEqual([
        [at(10), 10, 2, 1, false],
        [at(34), 12, 3, 2, false],
        [at(58), 14, 2, 0, false],
      ]);
      expect(body.points.map((p) => p.gapRate)).toEqual([0.5, 2 / 3, 0]);
      const two = (await get(`/stores/store-1/aisles/A1/history?${range}&limit=2`)).json<History>();
      expect(two.truncated).toBe(true);
      expect(two.points.map((p) => p.count)).toEqual([12, 14]);
      const slash = await get(`/stores/store-1/aisles/${encodeURIComponent('B 2/x')}/history?${range}`);
      expect(slash.status).toBe(200);
      expect(slash.json<History>()).toMatchObject({ aisle: 'B 2/x' });
      expect(slash.json<History>().points.map((p) => p.gaps)).toEqual([2, 2]);
      const none = await get(`/stores/store-1/aisles/nowhere/history?${range}`);
      expect(none.status).toBe(200);
      expect(none.json<History>()).toMatchObject({ points: [], truncated: false });
    },
  );

  it.runIf(enabled)('defaults to the last 30 days; a real audit with its photo shows up', async () => {
    const empty = await get('/stores/store-1/summary');
    expect(empty.status).toBe(200);
    const { range: r, aisles } = empty.json<Summary>();
    expect(Date.parse(r.until) - Date.parse(r.since)).toBe(30 * 24 * HOUR);
    expect(Math.abs(Date.parse(r.until) - Date.now())).toBeLessThan(60_000);
    expect(aisles).toEqual([]);
    const photo = await shelfJpeg(480, 360);
    const posted = await request(`${base}/audits?storeId=store-1&aisle=P`, {
      method: 'POST',
      body: photo,
      headers: { authorization: `Bearer ${KEYS.store1}`, 'content-type': 'image/jpeg' },
    });
    expect(posted.status).toBe(201);
    const stored = posted.json<{ id: string; count: number; rows: { gaps: unknown[] }[] }>();
    const now = (await get('/stores/store-1/summary')).json<Summary>();
    expect(now.aisles).toHaveLength(1);
    expect(now.aisles[0]).toMatchObject({
      aisle: 'P',
      audits: 1,
      last: {
        auditId: stored.id,
        count: stored.count,
        rows: stored.rows.length,
        gaps: stored.rows.reduce((s, r) => s + r.gaps.length, 0),
      },
    });
    const history = (await get('/stores/store-1/aisles/P/history')).json<History>();
    expect(history.points).toHaveLength(1);
    expect(history.points[0]).toMatchObject({ auditId: stored.id, photo: true });
  });

  it.runIf(enabled)('CSV with Accept: text/csv, formulas escaped', async () => {
    const res = await get(`/stores/store-1/summary?${range}`, KEYS.store1, { accept: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="summary-store-1.csv"');
    expect(res.headers.vary).toMatch(/accept/i);
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'aisle,audits,first_at,last_at,last_audit_id,last_count,last_rows,last_gaps,mean_count,rows,gaps,gap_rate,count_per_day,gaps_per_day',
    );
    expect(lines.map((l) => l.split(',')[0])).toEqual(['aisle', 'B 2/x', 'A1', 'C']);
    const a1 = lines[2]!.split(',');
    expect(a1.slice(5, 11)).toEqual(['14', '2', '0', '12', '7', '3']);
    expect(Number(a1[11])).toBeCloseTo(3 / 7, 12);
    expect(lines[3]!.split(',').slice(11)).toEqual(['', '', '']); // nulls are empty cells
    const history = await get(`/stores/store-1/aisles/A1/history?${range}`, KEYS.store1, {
      accept: 'text/csv;q=0.9, application/json;q=0.1',
    });
    expect(history.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(history.body.split('\r\n').slice(0, 2)).toEqual([
      'audit_id,created_at,count,rows,gaps,gap_rate,photo',
      expect.stringMatching(new RegExp(`^[0-9a-f-]{36},${at(10)},10,2,1,0.5,$`)),
    ]);
    // JSON stays the default for */* and for types we do not make.
    for (const accept of ['*/*', 'application/json, text/csv', 'image/png']) {
      const r = await get(`/stores/store-1/summary?${range}`, KEYS.store1, { accept });
      expect(r.headers['content-type'], accept).toMatch(/^application\/json/);
    }
    const hostile = await get(`/stores/store-3/summary?${range}`, KEYS.store2, { accept: 'text/csv' });
    expect(hostile.body.split('\r\n')[1]).toMatch(/^"'=HYPERLINK\(""http:\/\/x""\)",1,/);
  });

  it.runIf(enabled)('is in the OpenAPI document: both representations, security, parameters', async () => {
    const spec = (await get('/docs/json', null)).json<{
      paths: Record<string, { get: { security: unknown; responses: Record<string, { content?: object }> } }>;
    }>();
    for (const path of ['/stores/{storeId}/summary', '/stores/{storeId}/aisles/{aisle}/history']) {
      const op = spec.paths[path]?.get;
      expect(op?.security, path).toEqual([{ apiKey: [] }]);
      expect(Object.keys(op?.responses['200']?.content ?? {}), path).toEqual([
        'application/json',
        'text/csv',
      ]);
      expect(Object.keys(op?.responses ?? {}), path).toEqual(expect.arrayContaining(['400', '401', '403']));
    }
  });

  it.runIf(enabled)(
    "key scope: another store's summary and history are 403, head office sees all",
    async () => {
      for (const path of [`/stores/store-2/summary?${range}`, `/stores/store-2/aisles/A1/history?${range}`]) {
        const res = await get(path, KEYS.store1);
        expect(res.status, path).toBe(403);
        expect(code(res)).toBe('FORBIDDEN_STORE');
        expect(res.body).not.toContain('"count"');
      }
      expect((await get(`/stores/store-1/summary?${range}`, KEYS.store2)).status).toBe(403);
      const head = await get(`/stores/store-2/summary?${range}`, KEYS.headOffice);
      expect(head.status).toBe(200);
      expect(head.json<Summary>().aisles.map((a) => [a.aisle, a.last.count])).toEqual([['A1', 50]]);
      expect((await get(`/stores/store-2/summary?${range}`, KEYS.store2)).status).toBe(200);
      for (const key of [null, 'wrong-key']) {
        const res = await get(`/stores/store-1/summary?${range}`, key);
        expect(res.status).toBe(401);
      }
    },
  );

  it.runIf(enabled)('refuses bad ranges, ids, limits and unknown query keys with 400', async () => {
    const bad = [
      '/stores/store-1/summary?since=yesterday',
      '/stores/store-1/summary?since=',
      `/stores/store-1/summary?since=${encodeURIComponent(UNTIL)}&until=${encodeURIComponent(SINCE)}`,
      `/stores/store-1/summary?since=${encodeURIComponent(SINCE)}&until=${encodeURIComponent(SINCE)}`,
      '/stores/store-1/summary?since=2025-01-01T00:00:00Z&until=2026-01-03T00:00:00Z',
      '/stores/store-1/summary?since=0000-01-01T00:00:00Z',
      '/stores/store-1/summary?since=2026-01-01T00:00:00%2B20:00',
      '/stores/store-1/summary?until=2026-02-30T00:00:00Z',
      '/stores/store-1/summary?storeId=store-2',
      '/stores/store-1/summary?format=csv',
      `/stores/store-1/summary?since=${encodeURIComponent(SINCE)}&since=${encodeURIComponent(SINCE)}`,
      '/stores/store-1/aisles/A1/history?limit=0',
      '/stores/store-1/aisles/A1/history?limit=5001',
      '/stores/store-1/aisles/A1/history?limit=abc',
      '/stores/store-1/aisles/A1/history?limit=1e309',
      '/stores/store-1/aisles/A1/history?limit=2.5',
      '/stores/store-1/aisles/A1/history?foo=1',
      `/stores/${encodeURIComponent('store 1')}/summary`,
      `/stores/${encodeURIComponent("store-1';DROP TABLE audits;--")}/summary`,
      `/stores/${'s'.repeat(129)}/summary`,
      '/stores/store-1/aisles/A%00B/history',
      '/stores/store-1/aisles/A%0AB/history',
      `/stores/store-1/aisles/${'a'.repeat(129)}/history`,
      `/stores/store-1/aisles/${'%C3%A9'.repeat(129)}/history`,
    ];
    for (const path of bad) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(code(res), path).toBe('INVALID_REQUEST');
    }
    // The longest names are fine.
    const long = await get(`/stores/store-1/aisles/${'%C3%A9'.repeat(128)}/history`);
    expect(long.status).toBe(200);
    // A huge query string is refused by Node before routing (431), never a 500.
    const huge = await get(`/stores/store-1/summary?since=${'9'.repeat(20_000)}`);
    expect([400, 414, 431]).toContain(huge.status);
    const empty = await get('/stores/store-1/aisles//history');
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
  });

  it.runIf(enabled)(
    'stays index-backed on a store with history (EXPLAIN)',
    async () => {
      // 8 stores x 10 aisles x 2 audits a day x 60 days; plans of one store's month and one aisle.
      const until = new Date('2026-06-01T00:00:00Z');
      for (let s = 0; s < 8; s++)
        await insertAudits(
          app.db,
          syntheticAudits({ storeId: `big-${s}`, aisles: 10, days: 60, until, seed: s + 1 }),
        );
      await app.db.query('ANALYZE audits');
      const repo = new DashboardRepository(app.db);
      const plans = await repo.explain('big-3', 'A05', {
        since: new Date(until.getTime() - 30 * 24 * HOUR).toISOString(),
        until: until.toISOString(),
      });
      for (const plan of [plans.summary, plans.history]) {
        expect(plan).not.toMatch(/Seq Scan on audits/);
        expect(plan).toMatch(
          /Index (Only )?Scan (Backward )?using audits_store_(aisle_)?created on audits|Bitmap Index Scan on audits_store_(aisle_)?created/,
        );
      }
      expect(plans.history).toMatch(/audits_store_aisle_created/);
      // The numbers of a seeded store agree with a plain recount of its audits.
      const summary = (
        await get(
          `/stores/big-3/summary?since=2026-05-02T00:00:00Z&until=2026-06-01T00:00:00Z`,
          KEYS.headOffice,
        )
      ).json<Summary>();
      expect(summary.aisles).toHaveLength(10);
      const { rows } = await app.db.query<{ n: number; gaps: number; rows: number }>(
        `SELECT count(*)::int AS n, sum(jsonb_array_length(g))::int AS gaps, sum(r)::int AS rows FROM (
         SELECT (SELECT jsonb_agg(x) FROM jsonb_array_elements(rows) e, jsonb_array_elements(e->'gaps') x) AS g,
                jsonb_array_length(rows) AS r
         FROM audits WHERE store_id = 'big-3' AND aisle = 'A05'
           AND created_at >= '2026-05-02T00:00:00Z' AND created_at < '2026-06-01T00:00:00Z') t`,
      );
      const a05 = summary.aisles.find((a) => a.aisle === 'A05')!;
      expect([a05.audits, a05.gaps, a05.rows]).toEqual([rows[0]!.n, rows[0]!.gaps ?? 0, rows[0]!.rows]);
    },
    180_000,
  );
});
