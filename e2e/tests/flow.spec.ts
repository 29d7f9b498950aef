/**
 * The four ways the photo-to-audit flow lost trust (issue: two photos in a row, a failed scan
 * leaving the old result, a double tap filing two audits, an oversized photo that could never be
 * filed), plus Cancel and a captive portal's 200. On an emulated Pixel 7 with touch.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { devices, expect, test } from '@playwright/test';
import {
  deviceSettled,
  drawnBoxes,
  fileAudit,
  fixturePath,
  fulfillAsCaptivePortal,
  scan,
  serverAudits,
  useSettings,
} from '../support/app.ts';
import { chooseDerived, chooseFiles, derivePhoto } from '../support/photos.ts';
import { snap } from '../support/screens.ts';

test.use({ ...devices['Pixel 7'] });

const STORE = 'demo-store';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const run = () => `e2e-${Date.now().toString(36)}`;

/** 5 % of the bytes from 30 % on replaced by noise (a corrupted copy). */
function garble(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  let s = 1;
  for (let i = Math.floor(out.length * 0.3); i < Math.floor(out.length * 0.35); i++) {
    s = (s * 16807) % 2147483647;
    out[i] = s & 255;
  }
  return out;
}

test('bug 1: two photos in quick succession: only the second is shown, counted and filed', async ({
  page,
  context,
  request,
}) => {
  await useSettings(context, { engine: 'device', apiKey: 'dev-key', storeId: STORE });
  await page.goto('/');
  expect(await deviceSettled(page)).toMatch(/ready|slow/);
  const small = readFileSync(fixturePath());
  const alone = await scan(page);
  // A bigger photo first (slower to decode and prepare), the small one right after it.
  const big = await derivePhoto(page, fixturePath(), { width: 3000, height: 3000 });
  await chooseFiles(page, [
    { name: 'first.jpg', buffer: big },
    { name: 'second.jpg', buffer: small },
  ]);
  const main = page.locator('main');
  await expect(main).toHaveAttribute('data-step', 'review', { timeout: 90_000 });
  await expect(page.getByTestId('count')).toHaveText(String(alone.count));
  expect(await drawnBoxes(page)).toEqual(alone.boxes);
  expect(await page.locator('#photo').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(960);
  const aisle = run();
  await fileAudit(page, { aisle });
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  const ours = (await serverAudits(request)).filter((a) => a.aisle === aisle);
  expect(ours).toHaveLength(1);
  expect(ours[0]!.image.sha256).toBe(sha256(small));
  await expect(page.getByTestId('count')).toHaveText(String(alone.count));
});

test('bug 2: a failed scan leaves nothing of the previous one on screen, and uploads nothing', async ({
  page,
  context,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  let uploads = 0;
  await context.route('**/predict', (route) => {
    uploads++;
    return route.fallback();
  });
  await page.goto('/');
  await scan(page);
  expect(uploads).toBe(1);
  const good = readFileSync(fixturePath());
  const cases = [
    {
      name: 'cut-off.jpg',
      buffer: good.subarray(0, Math.floor(good.length * 0.4)),
      code: 'TRUNCATED_IMAGE',
      text: /incomplete/,
    },
    {
      name: 'notes.jpg',
      buffer: Buffer.from('shopping list: milk, eggs'),
      code: 'NOT_AN_IMAGE',
      text: /not a photo/,
    },
    // Complete on the outside (end marker kept), garbage inside: the decoder stops, the rest is grey.
    {
      name: 'garbled.jpg',
      buffer: garble(good),
      // Chromium's decoder refuses it outright, or stops and leaves the rest grey: refused either way.
      code: /^(DECODE_FAILED|DAMAGED_IMAGE)$/,
      text: /cannot be opened|damaged: part of it could not be read/,
    },
  ];
  for (const c of cases) {
    await page
      .getByTestId('file-input')
      .setInputFiles({ name: c.name, mimeType: 'image/jpeg', buffer: c.buffer });
    await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');
    await expect(page.getByTestId('scan-error')).toHaveText(c.text);
    await expect(page.getByTestId('scan-error')).toHaveAttribute('data-code', c.code);
    // Nothing of the previous scan remains to be looked at or filed.
    await expect(page.getByTestId('count')).toHaveText('–');
    expect(await page.locator('#overlay > *').count()).toBe(0);
    expect(await page.locator('#rows li').count()).toBe(0);
    expect(await page.locator('#photo').getAttribute('src')).toBeNull();
    await expect(page.getByTestId('to-audit')).toBeHidden();
    await expect(page.locator('#audit-form')).toHaveAttribute('data-scan-id', '');
    if (c.name === 'cut-off.jpg') await snap(page, '02-refused-cut-off');
  }
  expect(uploads).toBe(1);
});

test('bug 3: one audit per scan, across a double tap, a reload and two tabs', async ({
  page,
  context,
  request,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  await page.goto('/');
  await scan(page);
  const aisle = run();
  await page.getByTestId('to-audit').click();
  await page.locator('#audit-aisle').fill(aisle);
  // Two taps in the same frame: the second must find the first.
  await page.getByRole('button', { name: 'Submit audit' }).evaluate((b: HTMLButtonElement) => {
    b.click();
    b.click();
  });
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  await expect(page.getByTestId('official-count')).toHaveText(/^\d+ products?$/);
  await snap(page, '09-done');

  // After a reload, the scan reopened from history cannot be filed again.
  await page.reload();
  await page.locator('#nav-history').click();
  await page.locator('#history li').first().getByRole('button', { name: /^Open/ }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'review');
  await expect(page.getByTestId('review-status')).toContainText(`Audit filed for ${STORE}, aisle ${aisle}`);
  await expect(page.getByTestId('to-audit')).toBeHidden();

  // Two tabs with the same new scan open file it at the same moment.
  await scan(page);
  const scanId = await page.getByTestId('count').getAttribute('data-scan-id');
  const other = await context.newPage();
  await other.goto('/');
  await other.locator('#nav-history').click();
  await other.locator(`#history li[data-scan-id="${scanId}"]`).getByRole('button', { name: /^Open/ }).click();
  const aisle2 = `${aisle}-tabs`;
  for (const p of [page, other]) {
    await p.getByTestId('to-audit').click();
    await p.locator('#audit-aisle').fill(aisle2);
  }
  await Promise.all(
    [page, other].map((p) => p.locator('#audit-submit').evaluate((b: HTMLButtonElement) => b.click())),
  );
  for (const p of [page, other]) {
    await expect(p.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  }
  const audits = await serverAudits(request);
  expect(audits.filter((a) => a.aisle === aisle)).toHaveLength(1);
  expect(audits.filter((a) => a.aisle === aisle2)).toHaveLength(1);
});

test('bug 4: a photo over the pixel limit is made smaller on the phone, keeps its orientation, and its audit says so', async ({
  page,
  context,
  request,
}) => {
  test.setTimeout(180_000);
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  await page.goto('/');
  // 6200 x 8300 upright = 51.5 MP (over the server's MAX_PIXELS), stored sideways with EXIF orientation 6.
  const chosen = await chooseDerived(page, fixturePath(), {
    width: 6200,
    height: 8300,
    exifRotate: true,
    quality: 0.85,
  });
  expect(chosen.bytes).toBeGreaterThan(0);
  await expect(page.locator('main')).toHaveAttribute('data-step', /review|check/, { timeout: 120_000 });
  const use = page.getByRole('button', { name: 'Use anyway' });
  await expect
    .poll(
      async () => {
        if (await use.isVisible()) await use.click();
        return page.locator('main').getAttribute('data-step');
      },
      { timeout: 120_000 },
    )
    .toBe('review');
  await expect(page.locator('#result-meta')).toContainText('photo made smaller (6200×8300 →');
  const aisle = run();
  await fileAudit(page, { aisle, note: 'oversized' });
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 120_000 });
  const [stored] = (await serverAudits(request)).filter((a) => a.aisle === aisle);
  expect(stored).toBeDefined();
  const me = await request.get('/me', { headers: { authorization: 'Bearer dev-key' } });
  const { limits } = (await me.json()) as { limits: { maxPixels: number } };
  expect(stored!.image.width * stored!.image.height).toBeLessThanOrEqual(limits.maxPixels);
  // Upright (portrait), as the original was shown: the EXIF orientation was applied, not lost.
  expect(stored!.image.height).toBeGreaterThan(stored!.image.width);
  expect(stored!.image.sha256).not.toBe(chosen.sha256);
  expect(stored!.note).toMatch(/^oversized \[Photo downscaled on the device from 6200x8300 to \d+x\d+/);
});

test('busy state with Cancel: the count stops, nothing is shown, the request is aborted', async ({
  page,
  context,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  let release: () => void = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  await context.route('**/predict', async (route) => {
    await held;
    await route.fallback().catch(() => {});
  });
  await page.goto('/');
  const aborted = page.waitForEvent('requestfailed', (r) => r.url().endsWith('/predict'));
  await page.getByTestId('file-input').setInputFiles(fixturePath());
  await expect(page.getByTestId('check-status')).toHaveText('Counting the products…');
  await expect(page.locator('#step-check')).toHaveAttribute('aria-busy', 'true');
  await snap(page, '03-counting');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');
  await aborted;
  release();
  await expect(page.getByTestId('count')).toHaveText('–');
  await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');
});

test("a captive portal's 200 is not taken for a stored audit: it stays queued and is sent later", async ({
  page,
  context,
  request,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  let portal = true;
  let portalAnswers = 0;
  await context.route('**/audits', (route) => {
    if (!portal || route.request().method() !== 'POST') return route.fallback();
    portalAnswers++;
    return fulfillAsCaptivePortal(route);
  });
  await page.goto('/');
  await scan(page);
  const aisle = run();
  await fileAudit(page, { aisle });
  await expect(page.getByTestId('done-status')).toContainText('not the ShelfWatch server');
  expect(portalAnswers).toBeGreaterThanOrEqual(1);
  expect((await serverAudits(request)).filter((a) => a.aisle === aisle)).toHaveLength(0);
  await snap(page, '10-captive-portal');
  portal = false;
  await page.evaluate(() => dispatchEvent(new Event('online')));
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  expect((await serverAudits(request)).filter((a) => a.aisle === aisle)).toHaveLength(1);
});

test('a permanent refusal says what to do and is never retried; fixing the store sends it once', async ({
  page,
  context,
  request,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  let posts = 0;
  await context.route('**/audits', (route) => {
    if (route.request().method() === 'POST') posts++;
    return route.fallback();
  });
  await page.goto('/');
  await scan(page);
  const aisle = run();
  // The development key may audit demo-store only.
  await fileAudit(page, { storeId: 'other-store', aisle });
  const status = page.getByTestId('done-status');
  await expect(status).toHaveAttribute('data-status', 'failed');
  await expect(status).toHaveText(
    'This API key may not file audits for this store. Check the store, or ask for a key for it.',
  );
  await expect(page.locator('#done-title')).toHaveText('Audit not stored');
  await snap(page, '10b-refused');
  // Coming back online retries what may work, never this.
  await page.evaluate(() => dispatchEvent(new Event('online')));
  await page.getByRole('button', { name: 'Change store or aisle' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'audit');
  await page.locator('#audit-store').fill(STORE);
  await page.getByRole('button', { name: 'Submit audit' }).click();
  await expect(status).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  expect(posts).toBe(2);
  expect((await serverAudits(request)).filter((a) => a.aisle === aisle)).toHaveLength(1);
});
