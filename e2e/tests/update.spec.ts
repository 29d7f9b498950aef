import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { deviceSettled, fileAudit, scan, useSettings } from '../support/app.ts';
import { REPO_DIR } from '../support/paths.ts';
import { type RunningServer, startServer } from '../support/server.ts';

// This test deploys a new version mid-test, so it runs its own server on a copy of the build.
let webRoot: string;
let server: RunningServer;
test.beforeAll(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'shelfwatch-e2e-web-'));
  cpSync(join(REPO_DIR, 'web', 'dist'), webRoot, { recursive: true });
  server = await startServer({ WEB_ROOT: webRoot });
});
test.afterAll(async () => {
  await server?.stop();
  rmSync(webRoot, { recursive: true, force: true });
});

test('an update prompt reloads into the new version without losing a queued audit', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: server.baseURL });
  await useSettings(context, { engine: 'auto', apiKey: 'dev-key', storeId: 'demo-store' });
  const page = await context.newPage();
  await page.goto('/');
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await page.reload(); // now controlled from the start, like any later visit
  expect(await deviceSettled(page)).toMatch(/ready|slow/);

  // Uploads fail for now, so the audit stays queued across the update.
  let blocked = true;
  await context.route('**/audits', (route) =>
    blocked && route.request().method() === 'POST' ? route.abort('internetdisconnected') : route.fallback(),
  );
  await scan(page);
  const aisle = `update-${Date.now().toString(36)}`;
  await fileAudit(page, { aisle });
  const item = page.locator(`#audit-queue li:has-text("aisle ${aisle}")`);
  await expect(item).toHaveAttribute('data-status', 'pending');

  // A new deploy: a byte-different service worker script.
  appendFileSync(join(webRoot, 'sw.js'), '\n// next deploy\n');
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  const banner = page.locator('#update-banner');
  await expect(banner).toBeVisible();
  // Listen before clicking: the reload can finish before a listener added afterwards.
  const reloaded = page.waitForEvent('load');
  await page.getByRole('button', { name: 'Update now' }).click();
  await reloaded;
  await expect(banner).toBeHidden();
  await expect(item).toHaveAttribute('data-status', 'pending');

  blocked = false;
  await page.evaluate(() => dispatchEvent(new Event('online')));
  await expect(item).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  await context.close();
});
