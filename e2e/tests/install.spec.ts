import { expect, test } from '@playwright/test';
import { deviceSettled, useSettings } from '../support/app.ts';

test('installable: manifest, icons, service worker controlling, cross-origin isolated, WASM threads > 1', async ({
  page,
  context,
  request,
}) => {
  await useSettings(context, { engine: 'device' });
  await page.goto('/');

  const href = await page.locator('link[rel=manifest]').getAttribute('href');
  const manifestRes = await request.get(href!);
  expect(manifestRes.status()).toBe(200);
  const manifest = (await manifestRes.json()) as {
    name: string;
    short_name: string;
    start_url: string;
    display: string;
    theme_color: string;
    icons: { src: string; sizes: string; type: string; purpose?: string }[];
  };
  expect(manifest).toMatchObject({ name: 'ShelfWatch', display: 'standalone', start_url: '/' });
  expect(manifest.theme_color).toMatch(/^#/);
  const sizes = manifest.icons.map((i) => `${i.sizes}:${i.purpose ?? 'any'}`);
  expect(sizes).toEqual(expect.arrayContaining(['192x192:any', '512x512:any', '512x512:maskable']));
  for (const icon of manifest.icons) {
    const r = await request.get(icon.src);
    expect(r.status()).toBe(200);
    const png = await r.body();
    // PNG IHDR width/height match the declared size.
    const [w, h] = icon.sizes.split('x').map(Number);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([w, h]);
  }

  await expect
    .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null))
    .toBe('activated');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

  // Chromium's own installability verdict (DevTools protocol). Playwright contexts are off-the-record,
  // which Chromium always reports as `in-incognito`; any other error is ours.
  const cdp = await context.newCDPSession(page);
  const errors = async () => {
    const r = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: { errorId: string }[];
    };
    return r.installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito');
  };
  await expect.poll(errors).toEqual([]);

  expect(await deviceSettled(page)).toMatch(/ready|slow/);
  // A first install is not an update: no update prompt.
  await expect(page.locator('#update-banner')).toBeHidden();
  const threads = Number(await page.getByTestId('engine').getAttribute('data-threads'));
  expect(threads).toBeGreaterThan(1);
});
