/**
 * History and storage: a past scan reopens with its boxes and rows; scans can be deleted; the
 * confirmation compares with the last audit of the same aisle; stored audits keep neither the photo
 * nor the API key, and old audits and scans are pruned.
 */
import { devices, expect, type Page, test } from '@playwright/test';
import { drawnBoxes, emptiedShelf, fileAudit, scan, useSettings } from '../support/app.ts';
import { snap } from '../support/screens.ts';

test.use({ ...devices['Pixel 7'] });
const STORE = 'demo-store';

async function openHistory(page: Page) {
  await page.locator('#nav-history').click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'history');
}

test('reopen a past scan (boxes, rows, status), delete one; compare with the last audit of the aisle', async ({
  page,
  context,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  await page.goto('/');
  const aisle = `cmp-${Date.now().toString(36)}`;

  const first = await scan(page);
  const rows = await page.locator('#rows li').count();
  await fileAudit(page, { aisle });
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  await expect(page.getByTestId('done-compare')).toContainText(`First audit of aisle ${aisle}`);
  const official = Number((await page.getByTestId('official-count').textContent())!.split(' ')[0]);

  // The same shelf later, half of it emptied: cover the right half.
  const emptied = await emptiedShelf(page);
  const second = await scan(page, {
    name: 'later.jpg',
    mimeType: 'image/jpeg',
    buffer: emptied,
  });
  expect(second.count).toBeLessThan(first.count);
  // The aisle is one tap away (recent aisles of the store).
  await page.getByTestId('to-audit').click();
  await page
    .locator('#recent-aisles')
    .getByRole('button', { name: `Aisle ${aisle}` })
    .click();
  await expect(page.locator('#audit-aisle')).toHaveValue(aisle);
  await page.getByRole('button', { name: 'Submit audit' }).click();
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  const compare = page.getByTestId('done-compare');
  await expect(compare.getByTestId('compare-text')).toContainText(
    `${second.count} products now, ${official} then`,
  );
  await expect(compare).toHaveAttribute('data-count-delta', String(second.count - official));
  await expect(compare).toContainText('from the server');
  await snap(page, '11-compare');

  // History: both scans with their audit status; reopen the first.
  await openHistory(page);
  const items = page.locator('#history li');
  await expect(items).toHaveCount(2);
  await expect(items.first()).toContainText(`aisle ${aisle}`);
  await expect(items.first()).toContainText('Stored on the server as audit #');
  await snap(page, '12-history');
  await items.nth(1).getByRole('button', { name: /^Open/ }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'review');
  await expect(page.getByTestId('count')).toHaveText(String(first.count));
  expect(await drawnBoxes(page)).toEqual(first.boxes);
  await expect(page.locator('#rows li')).toHaveCount(rows);
  expect(await page.locator('#photo').evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);
  await expect(page.getByTestId('review-status')).toContainText(`Audit filed for ${STORE}, aisle ${aisle}`);
  await snap(page, '13-reopened');

  // Delete the newer one.
  await openHistory(page);
  await items
    .first()
    .getByRole('button', { name: /^Delete/ })
    .click();
  await expect(items).toHaveCount(1);
  await page.reload();
  await openHistory(page);
  await expect(items).toHaveCount(1);
});

test('storage hygiene: a stored audit keeps no photo and no API key; old audits and scans are pruned', async ({
  page,
  context,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  await page.goto('/');
  await scan(page);
  await fileAudit(page, { aisle: `hyg-${Date.now().toString(36)}` });
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });

  const dump = () =>
    page.evaluate(
      () =>
        new Promise<{ audits: Record<string, unknown>[]; scans: Record<string, unknown>[] }>(
          (resolve, reject) => {
            const open = indexedDB.open('shelfwatch');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const db = open.result;
              const tx = db.transaction(['audits', 'scans']);
              const a = tx.objectStore('audits').getAll();
              const s = tx.objectStore('scans').getAll();
              tx.oncomplete = () => {
                const strip = (r: Record<string, unknown>) =>
                  Object.fromEntries(
                    Object.entries(r).map(([k, v]) => [
                      k,
                      v instanceof ArrayBuffer ? `<${v.byteLength} bytes>` : v,
                    ]),
                  );
                resolve({ audits: a.result.map(strip), scans: s.result.map(strip) });
                db.close();
              };
            };
          },
        ),
    );
  const { audits, scans } = await dump();
  expect(audits).toHaveLength(1);
  expect(audits[0]).toMatchObject({ status: 'sent' });
  expect(audits[0]).not.toHaveProperty('photo');
  expect(JSON.stringify(audits)).not.toMatch(/dev-key|apiKey|Bearer/);
  // The scan's full photo moved to the audit and is gone; history keeps a small preview.
  expect(scans[0]).not.toHaveProperty('photo');
  expect(scans[0]).toHaveProperty('preview');

  // Seed an old phone's worth: 230 stored audits (10 of them 40 days old) and 60 scans.
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const open = indexedDB.open('shelfwatch');
      open.onsuccess = () => resolve(open.result);
    });
    const tx = db.transaction(['audits', 'scans'], 'readwrite');
    const now = Date.now();
    for (let i = 0; i < 230; i++) {
      const at = i < 10 ? now - 40 * 86_400_000 : now - 86_400_000 + i;
      tx.objectStore('audits').put({
        id: `seed-${i}`,
        storeId: 'demo-store',
        aisle: `old-${i}`,
        photoType: 'image/jpeg',
        createdAt: at,
        status: 'sent',
        attempts: 1,
        nextAttemptAt: 0,
        serverId: crypto.randomUUID(),
        serverCount: 1,
        sentAt: at,
      });
    }
    for (let i = 0; i < 60; i++) {
      tx.objectStore('scans').put({
        id: `seed-scan-${i}`,
        createdAt: now - 86_400_000 + i,
        count: 1,
        rowCounts: [1],
        gaps: 0,
        engine: 'server',
        ms: 1,
      });
    }
    await new Promise((r) => (tx.oncomplete = r));
    db.close();
  });
  await page.reload();
  await expect.poll(async () => (await dump()).audits.length).toBe(200);
  const after = await dump();
  expect(after.audits.some((a) => a.id === 'seed-0')).toBe(false);
  expect(after.audits.some((a) => a.id === audits[0]!.id)).toBe(true);
  // The next scan enforces the history cap (50).
  await scan(page);
  await expect.poll(async () => (await dump()).scans.length).toBe(50);
});
