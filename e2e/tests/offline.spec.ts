import { expect, test } from '@playwright/test';
import { deviceSettled, scan, useSettings } from '../support/app.ts';

test('offline after one online visit: reload and scan on the device', async ({ browser }) => {
  const context = await browser.newContext();
  await useSettings(context, { engine: 'auto' });
  const page = await context.newPage();
  await page.goto('/');
  // The service worker controls the page and the model is cached once the device engine is ready.
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(await deviceSettled(page)).toMatch(/ready|slow/);
  await expect
    .poll(() =>
      page.evaluate(async () => (await caches.keys()).some((k) => k.startsWith('shelfwatch-model-'))),
    )
    .toBe(true);
  const online = await scan(page);
  expect(online.engine).toBe('device');

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('#net-label')).toHaveText('offline');
  expect(await deviceSettled(page)).toMatch(/ready|slow/);
  const offline = await scan(page);
  expect(offline.engine).toBe('device');
  expect(offline.count).toBeGreaterThan(0);
  expect(offline.count).toBe(online.count);
  await context.close();
});
