/**
 * The dashboard page's hosting (`/dashboard` is the build's dashboard.html, revalidated like the
 * scanner's shell) and `shelfwatch seed`, which fills a database for it: refusals, then a real seed
 * that the summary route reads back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, KEYS } from '../helpers/app.js';
import { SERVER_DIR } from '../helpers/build.js';
import { listen, request } from '../helpers/http.js';

const run = promisify(execFile);
const CLI = resolve(SERVER_DIR, 'dist/cli.js');

describe('the /dashboard page', () => {
  let app: FastifyInstance;
  let base: string;
  let close: () => Promise<void>;
  let webRoot: string;

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'shelfwatch-web-'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>ShelfWatch</title>');
    writeFileSync(
      join(webRoot, 'dashboard.html'),
      '<!doctype html><title>ShelfWatch — store dashboard</title>',
    );
    ({ app, close } = await buildTestApp({ WEB_ROOT: webRoot }));
    base = await listen(app);
  });
  afterAll(async () => {
    await close?.();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves dashboard.html at /dashboard, revalidated on every load', async () => {
    for (const path of ['/dashboard', '/dashboard.html']) {
      const res = await request(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers['content-type'], path).toContain('text/html');
      expect(res.headers['cache-control'], path).toBe('no-cache');
      expect(res.body).toContain('store dashboard');
    }
    const index = await request(`${base}/`);
    expect(index.body).toContain('<title>ShelfWatch</title>');
  });

  it('takes the form the page writes to its address, and refuses any other query', async () => {
    const ok = await request(`${base}/dashboard?store=store-1&from=2026-03-01&to=2026-03-06`);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('store dashboard');
    const unknown = await request(`${base}/dashboard?utm_source=mail`);
    expect(unknown.json().error.message).toBe("querystring has an unknown key 'utm_source'");
    for (const query of [
      '?utm_source=mail',
      '?store=a%20b',
      '?from=yesterday',
      '?store=s&store=t',
      '?from=%ZZ',
    ]) {
      const res = await request(`${base}/dashboard${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json().error.code, query).toMatch(/^(VALIDATION_FAILED|INVALID_REQUEST)$/);
    }
  });

  it('a build without the page answers 404, not the scanner', async () => {
    rmSync(join(webRoot, 'dashboard.html'));
    const res = await request(`${base}/dashboard`);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('<title>ShelfWatch</title>');
  });
});

describe('shelfwatch seed', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shelfwatch-seed-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ ...process.env, DATA_DIR: join(dir, 'pglite'), DATABASE_URL: '' });

  it('refuses missing or bad arguments with exit code 2 (a usage error, as every command) and a reason', async () => {
    for (const [args, reason] of [
      [[], /seed needs --store/],
      [['--store', 'a b'], /--store is not a store id/],
      [['--store', 's', '--days', '0'], /--days must be an integer from 1 to 3660/],
      [['--store', 's', '--aisles', '2.5'], /--aisles must be an integer/],
      [['--store', 's', '--aisles', '0x10'], /--aisles must be an integer from 1 to 500, got "0x10"/],
      [['--store', 's', '--until', 'soon'], /--until is not a date-time/],
      [['--store', 's', '--nope'], /Unknown option '--nope'/],
      [['--store', 's', 'extra'], /seed needs --store and no other arguments/],
    ] as const) {
      const err = await run(process.execPath, [CLI, 'seed', ...args], { env: env() }).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code, args.join(' ')).toBe(2);
      expect(err?.stderr, args.join(' ')).toMatch(reason);
    }
  });

  it('stores aisles x per-day x days audits that the summary reads back', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        CLI,
        'seed',
        '--store',
        'store-1',
        '--aisles',
        '3',
        '--per-day',
        '2',
        '--days',
        '5',
        '--until',
        '2026-03-06T00:00:00Z',
      ],
      { env: env() },
    );
    expect(stdout).toMatch(/^stored 30 synthetic audits for store store-1 in PGlite /);
    const { app, close } = await buildTestApp({ DATA_DIR: join(dir, 'pglite') });
    try {
      const base = await listen(app);
      const res = await request(
        `${base}/stores/store-1/summary?since=2026-03-01T00:00:00Z&until=2026-03-06T00:00:00Z`,
        {
          headers: { authorization: `Bearer ${KEYS.store1}` },
        },
      );
      expect(res.status).toBe(200);
      const { aisles } = res.json<{ aisles: { aisle: string; audits: number; rows: number }[] }>();
      expect(aisles.map((a) => a.aisle).sort()).toEqual(['A01', 'A02', 'A03']);
      expect(aisles.map((a) => [a.audits, a.rows])).toEqual([
        [10, 40],
        [10, 40],
        [10, 40],
      ]);
    } finally {
      await close();
    }
  });
});

describe('the dashboard routes while the database is down', () => {
  it('answer 503 NOT_READY with Retry-After, not a 500', async () => {
    const { app, close } = await buildTestApp({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' });
    try {
      const base = await listen(app);
      for (const path of ['/stores/store-1/summary', '/stores/store-1/aisles/A1/history']) {
        const res = await request(`${base}${path}`, { headers: { authorization: `Bearer ${KEYS.store1}` } });
        expect(res.status, path).toBe(503);
        expect(res.json().error.code).toBe('NOT_READY');
        expect(res.headers['retry-after']).toBe('2');
      }
    } finally {
      await close();
    }
  });
});
