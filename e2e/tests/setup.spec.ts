/**
 * First run: the API key is checked against the server at once (`GET /me`), the store comes from the
 * key's stores, the engine is explained; the detector download shows real progress (bytes of model +
 * WASM, in % and MB) and ends in "Ready offline".
 */
import { devices, expect, test } from '@playwright/test';
import { deviceSettled } from '../support/app.ts';
import { snap } from '../support/screens.ts';

test.use({ ...devices['Pixel 7'] });

test('first run: the key is checked at once, the store comes from the key, then scanning', async ({
  page,
  request,
}) => {
  // Needs the server's GET /me (issue 9's contract).
  await page.goto('/');
  await expect(page.locator('main')).toHaveAttribute('data-step', 'setup');
  await expect(page.locator('#setup-engine')).toContainText('counted on this phone');
  const key = page.getByLabel('API key', { exact: true });
  const status = page.getByTestId('key-status');
  await key.fill('not-a-key');
  await key.press('Tab');
  await expect(status).toHaveText(
    'The API key was not accepted. Check it with your manager and enter it again.',
  );
  await snap(page, '00-setup-wrong-key');
  // A wrong key does not finish the setup.
  await page.getByRole('button', { name: 'Start scanning' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'setup');

  await key.fill('dev-key');
  await key.press('Tab');
  await expect(status).toHaveText('✓ Key “dev” works, for 1 store: demo-store.');
  await expect(page.locator('#store-options option')).toHaveAttribute('value', 'demo-store');
  await expect(page.locator('#setup-store')).toHaveValue('demo-store');
  await snap(page, '00-setup');
  await page.getByRole('button', { name: 'Start scanning' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');
  // Kept: the next visit starts at the camera, with the key's store and limits.
  await page.reload();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');
  const settings = await page.evaluate(
    () =>
      new Promise<Record<string, unknown>>((resolve) => {
        const open = indexedDB.open('shelfwatch');
        open.onsuccess = () => {
          const req = open.result.transaction('kv').objectStore('kv').get('settings');
          req.onsuccess = () => resolve(req.result as Record<string, unknown>);
        };
      }),
  );
  // The limits are the server's own, as GET /me states them.
  const me = await request.get('/me', { headers: { authorization: 'Bearer dev-key' } });
  const { limits } = (await me.json()) as { limits: { maxPixels: number } };
  expect(settings).toMatchObject({
    apiKey: 'dev-key',
    storeId: 'demo-store',
    setupDone: true,
    keyInfo: { keyName: 'dev', stores: ['demo-store'], limits: { maxPixels: limits.maxPixels } },
  });
});

test('first run: the detector download shows % and MB of model + WASM, then "Ready offline"', async ({
  page,
}) => {
  // Every text the download shows, as it changes, and every layout shift not caused by input.
  await page.addInitScript(() => {
    const shifts: { value: number; nodes: string[] }[] = [];
    (window as unknown as { __shifts: typeof shifts }).__shifts = shifts;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as {
        value: number;
        hadRecentInput: boolean;
        sources: { node?: Node }[];
      }[]) {
        if (!e.hadRecentInput)
          shifts.push({ value: e.value, nodes: e.sources.map((s) => (s.node as Element)?.id ?? '') });
      }
    }).observe({ type: 'layout-shift', buffered: true });
    const seen: string[] = [];
    (window as unknown as { __download: string[] }).__download = seen;
    new MutationObserver(() => {
      const t = document.getElementById('download-label')?.textContent ?? '';
      if (t && seen.at(-1) !== t) seen.push(t);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto('/');
  await expect(page.locator('main')).toHaveAttribute('data-step', 'setup');
  expect(await deviceSettled(page)).toMatch(/ready|slow/);
  await expect(page.locator('#setup-download')).toHaveText('The detector is on this phone.');
  await expect(page.getByTestId('offline-ready')).toBeVisible();
  await expect(page.getByTestId('download')).toBeHidden();
  // The status line changing (engine, "Ready offline") does not move the page: the pill once wrapped
  // the status below the title and pushed everything down (Lighthouse: layout shift 0.16).
  const shifts = await page.evaluate(
    () => (window as unknown as { __shifts: { value: number; nodes: string[] }[] }).__shifts,
  );
  const cls = shifts.reduce((sum, s) => sum + s.value, 0);
  expect(cls, JSON.stringify(shifts)).toBeLessThan(0.02);
  const seen = await page.evaluate(() => (window as unknown as { __download: string[] }).__download);
  const progress = seen
    .map((t) => /: (\d+) % \((\d+\.\d) of (\d+\.\d) MB\)$/.exec(t))
    .filter((m) => m !== null);
  // Over loopback the download takes about a second: a few of the (4 per second) updates are seen.
  console.log(`download progress shown: ${seen.join(' | ')}`);
  expect(progress.length, seen.join('\n')).toBeGreaterThan(0);
  const pcts = progress.map((m) => Number(m[1]));
  expect(pcts).toEqual([...pcts].sort((a, b) => a - b));
  // The total is the model and the WASM binary together (about 18 MB).
  const totals = new Set(progress.map((m) => m[3]));
  expect(totals.size).toBe(1);
  expect(Number([...totals][0])).toBeGreaterThan(14);
  await page.getByRole('button', { name: 'Set up later' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');
  await snap(page, '01-capture-ready-offline');
});
