import { expect, test } from '@playwright/test';
import { deviceSettled, matchBoxes, predict, scan, useSettings } from '../support/app.ts';

test.describe('scanning', () => {
  test('on device: same count as POST /predict and boxes match (IoU >= 0.9)', async ({
    page,
    context,
    request,
  }) => {
    await useSettings(context, { engine: 'device' });
    await page.goto('/');
    expect(await deviceSettled(page)).toMatch(/ready|slow/);
    const [device, server] = await Promise.all([scan(page), predict(request)]);
    expect(device.engine).toBe('device');
    expect(server.count).toBeGreaterThan(0);
    const ious = matchBoxes(
      device.boxes,
      server.detections.map((d) => d.box),
    );
    const summary = `device ${device.count}, server ${server.count}, matched ${ious.length}, min IoU ${Math.min(...ious).toFixed(3)}`;
    expect(device.count, summary).toBe(server.count);
    expect(ious.length, summary).toBe(server.count);
    expect(Math.min(...ious), summary).toBeGreaterThanOrEqual(0.9);
  });

  test('forced server mode runs on the server', async ({ page, context, request }) => {
    await useSettings(context, { engine: 'server' });
    await page.goto('/');
    const [result, server] = await Promise.all([scan(page), predict(request)]);
    expect(result.engine).toBe('server');
    expect(result.count).toBe(server.count);
    await expect(page.getByTestId('engine')).toHaveText('Counting on the server');
  });

  test('falls back to the server when the worker cannot start', async ({ browser, request }) => {
    // No service worker, so that routing sees every request; the worker script is blocked.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    await useSettings(context, { engine: 'device' });
    await context.route(/\/assets\/detector\.worker-[^/]+\.js$/, (route) => route.abort('failed'));
    const page = await context.newPage();
    await page.goto('/');
    expect(await deviceSettled(page)).toBe('failed');
    const [result, server] = await Promise.all([scan(page), predict(request)]);
    expect(result.engine).toBe('server');
    expect(result.count).toBe(server.count);
    await expect(page.getByTestId('engine')).toHaveAttribute('title', /worker failed to start/);
    await context.close();
  });
});
