/**
 * The store dashboard (`/dashboard`) on the real server with its own PGlite directory, seeded before
 * the server starts with `shelfwatch seed` (six aisles, two audits a day for 45 days), plus two real
 * audits of one aisle uploaded now with their photos (the second with half the shelf emptied). Checks
 * the aisle table order against gap rates recomputed here from the aisles' histories, the chart's
 * drawn points, the compare view (rows, gaps, photos with boxes), the CSV download, the empty and
 * error states, the phone layout, and Lighthouse accessibility on the page with data.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type APIRequestContext, chromium, devices, expect, type Page, test } from '@playwright/test';
import { runLighthouse } from '../lighthouse/run-lighthouse.ts';
import { emptiedShelf, fixturePath, useSettings } from '../support/app.ts';
import { REPO_DIR } from '../support/paths.ts';
import { snap } from '../support/screens.ts';
import { type RunningServer, startServer } from '../support/server.ts';

const STORE = 'demo-store';
const KEY = 'dev-key';
const HQ_KEY = 'e2e-head-office-key';
const AISLES = ['A01', 'A02', 'A03', 'A04', 'A05', 'A06'];
const auth = { authorization: `Bearer ${KEY}` };

let server: RunningServer;
let dataDir: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-e2e-dashboard-'));
  const pglite = join(dataDir, 'pglite');
  const out = execFileSync(
    process.execPath,
    ['server/dist/cli.js', 'seed', '--store', STORE, '--aisles', '6', '--days', '45', '--seed', '7'],
    { cwd: REPO_DIR, env: { ...process.env, DATA_DIR: pglite, DATABASE_URL: '' }, encoding: 'utf8' },
  );
  expect(out).toMatch(/^stored 5\d\d synthetic audits for store demo-store/);
  // The development key for the demo store, and a head-office key for every store.
  const sha = (k: string) => createHash('sha256').update(k).digest('hex');
  server = await startServer({
    DATA_DIR: pglite,
    API_KEYS: JSON.stringify([
      { name: 'dev', sha256: sha(KEY), stores: [STORE] },
      { name: 'head-office', sha256: sha(HQ_KEY), stores: ['*'] },
    ]),
  });
});

test.afterAll(async () => {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function postAudit(request: APIRequestContext, aisle: string, photo: Buffer) {
  const r = await request.post(`${server.baseURL}/audits?storeId=${STORE}&aisle=${aisle}`, {
    data: photo,
    headers: { ...auth, 'content-type': 'image/jpeg' },
  });
  expect(r.status()).toBe(201);
  return (await r.json()) as {
    id: string;
    count: number;
    detections: unknown[];
    rows: { gaps: unknown[] }[];
  };
}

interface Point {
  auditId: string;
  count: number;
  rows: number;
  gaps: number;
}

async function history(request: APIRequestContext, aisle: string, since: string, until: string) {
  const q = new URLSearchParams({ since, until });
  const r = await request.get(`${server.baseURL}/stores/${STORE}/aisles/${aisle}/history?${q}`, {
    headers: auth,
  });
  expect(r.status()).toBe(200);
  return ((await r.json()) as { points: Point[] }).points;
}

/** The page's range of the default form (the last 30 days, today included), as the page computes it. */
async function pageRange(page: Page) {
  return page.evaluate(() => {
    const day = (id: string) =>
      (document.getElementById(id) as HTMLInputElement).value.split('-').map(Number);
    const [fy, fm, fd] = day('since');
    const [ty, tm, td] = day('until');
    return {
      since: new Date(fy!, fm! - 1, fd!).toISOString(),
      until: new Date(ty!, tm! - 1, td! + 1).toISOString(),
    };
  });
}

/** Pixels of a canvas close to a colour (the chart's lines and points). */
async function pixelsOf(page: Page, selector: string, rgb: [number, number, number]): Promise<number> {
  return page.locator(selector).evaluate((canvas, [r, g, b]) => {
    const c = canvas as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4)
      if (
        Math.abs(data[i]! - r) + Math.abs(data[i + 1]! - g) + Math.abs(data[i + 2]! - b) < 60 &&
        data[i + 3]! > 200
      )
        n++;
    return n;
  }, rgb);
}

test('aisles by gap rate, the chart of an aisle, compare two audits with photos, CSV', async ({
  page,
  context,
  request,
}) => {
  test.setTimeout(180_000);
  await page.goto(`${server.baseURL}/health/live`);
  const before = await postAudit(request, 'A01', readFileSync(fixturePath()));
  const after = await postAudit(request, 'A01', await emptiedShelf(page));
  expect(after.count).toBeLessThan(before.count);

  await useSettings(context, { apiKey: KEY, storeId: STORE });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.baseURL}/dashboard`);
  const main = page.locator('main');
  await expect(main).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('#store')).toHaveValue(STORE);
  await expect(page.getByTestId('summary-line')).toContainText(`Store ${STORE}: 6 aisles audited`);

  // The order: gap rates recomputed from each aisle's audits (sum of gaps / sum of rows), worst first.
  const range = await pageRange(page);
  const expected = [];
  for (const aisle of AISLES) {
    const points = await history(request, aisle, range.since, range.until);
    const rows = points.reduce((s, p) => s + p.rows, 0);
    const gaps = points.reduce((s, p) => s + p.gaps, 0);
    expected.push({ aisle, rate: gaps / rows, points });
  }
  expected.sort((a, b) => b.rate - a.rate || a.aisle.localeCompare(b.aisle));
  const tableRows = page.getByTestId('aisles').locator('tbody tr');
  await expect(tableRows).toHaveCount(6);
  expect(await tableRows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.aisle))).toEqual(
    expected.map((e) => e.aisle),
  );
  const shownRates = await tableRows.locator('td.rate').allTextContents();
  expect(shownRates).toEqual(expected.map((e) => e.rate.toFixed(2)));
  // A sparkline per aisle, drawn by uPlot.
  await expect(page.locator('.spark canvas')).toHaveCount(6);

  // The worst aisle is shown first; its chart has one point per audit of the range.
  const worst = expected[0]!;
  await expect(page.locator('#aisle-title')).toHaveText(`Aisle ${worst.aisle}`);
  await expect(page.getByTestId('chart')).toHaveAttribute('data-points', String(worst.points.length));
  await expect(page.locator('#points tbody tr')).toHaveCount(worst.points.length);
  await snap(page, 'dash-01-summary', { fullPage: true });

  // Aisle A01: the two real audits are its last two, compared with their photos and boxes.
  await page.getByRole('button', { name: 'Aisle A01: show over time' }).click();
  await expect(page.locator('#aisle-title')).toHaveText('Aisle A01');
  await expect(page.locator('#aisle-title')).toBeFocused();
  const a01 = expected.find((e) => e.aisle === 'A01')!;
  await expect(page.getByTestId('chart')).toHaveAttribute('data-points', String(a01.points.length));
  expect(await pixelsOf(page, '#chart canvas', [0x0b, 0x5d, 0x3b])).toBeGreaterThan(200); // the count line
  expect(await pixelsOf(page, '#chart canvas', [0xa4, 0x0e, 0x26])).toBeGreaterThan(100); // the gaps line
  const compare = page.getByTestId('compare');
  await expect(compare).toBeVisible();
  await expect(page.locator('#compare-a')).toHaveValue(before.id);
  await expect(page.locator('#compare-b')).toHaveValue(after.id);
  await expect(compare).toHaveAttribute('data-count-delta', String(after.count - before.count));
  const gapsOf = (a: { rows: { gaps: unknown[] }[] }) => a.rows.reduce((s, r) => s + r.gaps.length, 0);
  await expect(page.getByTestId('compare-summary')).toContainText(
    `${after.count} product${after.count === 1 ? '' : 's'} now, ${before.count} then`,
  );
  await expect(page.getByTestId('compare-summary')).toContainText(
    `${gapsOf(after)} gap${gapsOf(after) === 1 ? '' : 's'} now, ${gapsOf(before)} then`,
  );
  const photos = page.locator('.compare-photos .photo');
  await expect(photos).toHaveCount(2);
  for (const [i, audit] of [before, after].entries()) {
    const photo = photos.nth(i);
    await expect(photo).toHaveAttribute('data-photo', 'kept');
    await expect(photo.locator('rect.box')).toHaveCount(audit.detections.length);
    await expect(photo.locator('rect.gap')).toHaveCount(gapsOf(audit));
    await expect
      .poll(() => photo.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
  }
  await expect(page.getByTestId('compare-rows').locator('tbody tr')).toHaveCount(
    Math.max(before.rows.length, after.rows.length),
  );
  await page.getByTestId('compare').scrollIntoViewIfNeeded();
  await snap(page, 'dash-02-compare', { fullPage: true });

  // Two synthetic audits (no photos): boxes on a blank of the photo's size.
  const older = a01.points.slice(-4, -2);
  await page.locator('#compare-a').selectOption(older[0]!.auditId);
  await page.locator('#compare-b').selectOption(older[1]!.auditId);
  await page.getByRole('button', { name: 'Compare', exact: true }).click();
  await expect(photos.first()).toHaveAttribute('data-photo', 'none');
  await expect(photos.first().locator('rect.box')).toHaveCount(older[0]!.count);
  await expect(compare).toHaveAttribute('data-count-delta', String(older[1]!.count - older[0]!.count));

  // CSV of the summary: the same aisles in the same order.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('summary-csv').click(),
  ]);
  expect(download.suggestedFilename()).toBe(`summary-${STORE}.csv`);
  const csv = readFileSync((await download.path())!, 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(csv[0]).toMatch(/^aisle,audits,first_at,last_at,last_audit_id,last_count,/);
  expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(expected.map((e) => e.aisle));
  const [historyCsv] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('history-csv').click(),
  ]);
  const lines = readFileSync((await historyCsv.path())!, 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(lines).toHaveLength(a01.points.length + 1);
  expect(lines.at(-1)).toMatch(new RegExp(`^${after.id},`));
});

test('empty range, refused key and no key say what to do; the phone layout', async ({ browser }) => {
  test.setTimeout(120_000);
  const phone = await browser.newContext({ ...devices['Pixel 7'] });
  const page = await phone.newPage();
  await useSettings(phone, { apiKey: KEY, storeId: STORE });
  await page.goto(`${server.baseURL}/dashboard?store=${STORE}&from=2020-01-01&to=2020-01-31`);
  const main = page.locator('main');
  await expect(main).toHaveAttribute('data-state', 'empty');
  await expect(page.getByTestId('status')).toContainText(
    'No audits of store demo-store from 2020-01-01 to 2020-01-31',
  );
  await expect(page.locator('#aisles-section')).toBeHidden();
  await snap(page, 'dash-03-empty');
  // A range the server refuses is caught on the page.
  await page.locator('#since').fill('2020-03-01');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(main).toHaveAttribute('data-state', 'error');
  await expect(page.getByTestId('problem')).toContainText('The To date is before the From date');
  // Back to the default range, on a phone.
  await page.goto(`${server.baseURL}/dashboard`);
  await expect(main).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('compare')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  // The aisles table fits the phone too (its wrapper would scroll it sideways): fewer columns there.
  const tableOverflow = await page
    .getByTestId('aisles')
    .evaluate((t) => t.scrollWidth - (t.parentElement as HTMLElement).clientWidth);
  expect(tableOverflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole('columnheader', { name: 'Mean count' })).toBeHidden();
  await snap(page, 'dash-04-phone', { fullPage: true });
  // Dark mode: the charts take the page's colours when drawn.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.reload();
  await expect(main).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('compare')).toBeVisible();
  expect(await pixelsOf(page, '#chart canvas', [0x3f, 0xbf, 0x7f])).toBeGreaterThan(200); // --brand, dark
  await snap(page, 'dash-06-dark');
  await phone.close();

  for (const [apiKey, state, text] of [
    ['wrong-key', 'error', 'The server refused the API key'],
    ['', 'no-key', 'No API key is set on this device'],
  ] as const) {
    const ctx = await browser.newContext();
    const p = await ctx.newPage();
    await useSettings(ctx, { apiKey, storeId: STORE });
    await p.goto(`${server.baseURL}/dashboard`);
    await expect(p.locator('main')).toHaveAttribute('data-state', state);
    await expect(p.getByTestId('problem')).toContainText(text);
    await expect(p.getByRole('link', { name: "Open the scanner's Settings" })).toBeVisible();
    if (apiKey) await snap(p, 'dash-05-refused');
    await ctx.close();
  }
});

test('a head-office key types the store id', async ({ page, context }) => {
  await useSettings(context, { apiKey: HQ_KEY, storeId: '' });
  await page.goto(`${server.baseURL}/dashboard`);
  const main = page.locator('main');
  await expect(main).toHaveAttribute('data-state', 'empty');
  await expect(page.getByTestId('status')).toHaveText('Type a store id, then choose Show.');
  await expect(page.locator('#store')).toBeHidden();
  const store = page.getByLabel('Store');
  await store.fill(STORE);
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(main).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('aisles').locator('tbody tr')).toHaveCount(6);
  await store.fill('no-such-store');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(main).toHaveAttribute('data-state', 'empty');
  await expect(page.getByTestId('status')).toContainText('No audits of store no-such-store');
  await store.fill('bad store');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await expect(main).toHaveAttribute('data-state', 'error');
  await expect(page.getByTestId('problem')).toContainText('The server could not use this request');
});

test("with the scanner's service worker in control, /dashboard is the dashboard and /stores the API", async ({
  page,
  context,
}) => {
  await useSettings(context, { apiKey: KEY, storeId: STORE });
  await page.goto(`${server.baseURL}/`);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await page.goto(`${server.baseURL}/dashboard?store=${STORE}`);
  await expect(page.locator('main')).toHaveAttribute('data-state', 'ready');
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  const api = await page.goto(`${server.baseURL}/stores/${STORE}/summary`);
  expect(api?.status()).toBe(401);
  expect(await api?.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
});

test('keyboard: an aisle is chosen with the keyboard', async ({ page, context }) => {
  await useSettings(context, { apiKey: KEY, storeId: STORE });
  await page.goto(`${server.baseURL}/dashboard`);
  await expect(page.locator('main')).toHaveAttribute('data-state', 'ready');
  const pick = page.getByRole('button', { name: 'Aisle A03: show over time' });
  await pick.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#aisle-title')).toHaveText('Aisle A03');
  await expect(page.locator('#aisle-title')).toBeFocused();
  await expect(pick).toHaveAttribute('aria-pressed', 'true');
});

test('Lighthouse on /dashboard with data: accessibility', async () => {
  test.setTimeout(180_000);
  const scores = await runLighthouse(`${server.baseURL}/dashboard`, {
    name: 'lighthouse-dashboard',
    // The page's settings (API key, store) in the browser Lighthouse drives, as the scanner stores them.
    prepare: async (port) => {
      const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
      try {
        const page = await browser.contexts()[0]!.newPage();
        await page.goto(`${server.baseURL}/health/live`);
        await page.evaluate(
          ([key, store]) =>
            localStorage.setItem(
              'shelfwatch.settings',
              JSON.stringify({ engine: 'auto', threads: 0, apiKey: key, storeId: store, setupDone: true }),
            ),
          [KEY, STORE],
        );
        await page.close();
      } finally {
        await browser.close();
      }
    },
  });
  console.log(
    `lighthouse /dashboard: performance ${scores.performance}, accessibility ${scores.accessibility}, ` +
      `best practices ${scores.bestPractices} -> e2e/reports/lighthouse-dashboard.json`,
  );
  if (scores.failedAudits.length)
    console.log('audits below 0.9:', scores.failedAudits.map((a) => a.id).join(', '));
  expect(scores.accessibility).toBeGreaterThanOrEqual(0.95);
});
