import { expect, test } from '@playwright/test';
import { deviceSettled, predict, scan, useSettings } from '../support/app.ts';

test('offline after one online visit: reload and scan on the device', async ({ browser, request }) => {
  const expected = await predict(request);
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

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('#net-label')).toHaveText('offline');
  expect(await deviceSettled(page)).toMatch(/ready|slow/);
  const result = await scan(page);
  expect(result.engine).toBe('device');
  // Same photo, same engine as online: the count is the device's (server parity is checked in scan.spec.ts).
  expect(result.count).toBeGreaterThan(0);
  expect(Math.abs(result.count - expected.count)).toBeLessThanOrEqual(Math.max(2, expected.count * 0.02));
  await context.close();
});
