import { expect, type Page, test } from '@playwright/test';
import { deviceSettled, fileAudit, scan, useSettings } from '../support/app.ts';

const STORE = 'demo-store'; // the development key's store (server with API_KEYS unset)

/** One scan, one audit (an audit belongs to its scan). */
async function submitAudit(page: Page, aisle: string) {
  await scan(page);
  await fileAudit(page, { storeId: STORE, aisle, note: `e2e ${aisle}` });
  await expect(page.locator(`#audit-queue li:has-text("aisle ${aisle}")`)).toHaveCount(1);
}

test('three audits offline, reload offline, back online: exactly three stored; a 5xx mid-sync is retried', async ({
  browser,
  request,
}) => {
  const run = `e2e-${Date.now().toString(36)}`;
  const aisles = [1, 2, 3].map((n) => `${run}-${n}`);
  const context = await browser.newContext();
  await useSettings(context, { engine: 'auto', apiKey: 'dev-key', storeId: STORE });
  const page = await context.newPage();
  await page.goto('/');
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(await deviceSettled(page)).toMatch(/ready|slow/);

  await context.setOffline(true);
  for (const aisle of aisles) await submitAudit(page, aisle);
  const queue = page.getByTestId('audit-queue');
  await expect(queue.locator('li[data-status="pending"]')).toHaveCount(3);

  // Reload while offline: the queue is in IndexedDB, nothing is lost.
  await page.reload();
  await expect(queue.locator('li[data-status="pending"]')).toHaveCount(3);

  // The first upload reaches the server (which stores it) but the client sees a 500: the worst case
  // for exactly-once. The retry carries the same Idempotency-Key.
  let injected = 0;
  let posts = 0;
  await context.route('**/audits', async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    posts++;
    if (injected === 0) {
      injected++;
      await route.fetch(); // stored on the server
      return route.fulfill({
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'INTERNAL', message: 'injected by e2e' } }),
      });
    }
    return route.fallback();
  });
  await context.setOffline(false);

  await expect(queue.locator('li[data-status="sent"]')).toHaveCount(3, { timeout: 60_000 });
  expect(injected).toBe(1);
  expect(posts).toBeGreaterThanOrEqual(4);

  const list = await request.get(`/audits?storeId=${STORE}&limit=100`, {
    headers: { authorization: 'Bearer dev-key' },
  });
  expect(list.status()).toBe(200);
  const { items } = (await list.json()) as { items: { aisle: string; count: number }[] };
  const ours = items.filter((a) => a.aisle.startsWith(run)).map((a) => a.aisle);
  expect(ours.sort()).toEqual(aisles);
  await context.close();
});
