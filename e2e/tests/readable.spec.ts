/**
 * A result a person can read on a phone: outlines stay 1-2 CSS px at any zoom (the overlay is never
 * CSS-scaled), a swipe on the photo at fit zoom scrolls the page, a pinch and a double tap zoom,
 * tapping a row or a gap highlights it; the legend and row numbers are drawn; dark mode.
 */
import { type CDPSession, devices, expect, type Page, test } from '@playwright/test';
import { scan, useSettings } from '../support/app.ts';
import { snap } from '../support/screens.ts';

test.use({ ...devices['Pixel 7'] });

async function viewerCentre(page: Page) {
  const b = (await page.locator('#viewer').boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2, box: b };
}

async function pinch(cdp: CDPSession, x: number, y: number, from: number, to: number) {
  const points = (d: number) => [
    { x: x - d / 2, y, id: 1 },
    { x: x + d / 2, y, id: 2 },
  ];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: points(from) });
  for (let i = 1; i <= 8; i++) {
    await cdp.send('Input.dispatchTouchEvent', {
      type: 'touchMove',
      touchPoints: points(from + ((to - from) * i) / 8),
    });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** One finger moving up (negative `dy`) or down, as a real touch sequence. */
async function swipe(cdp: CDPSession, x: number, y: number, dy: number) {
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  for (let i = 1; i <= 10; i++) {
    await cdp.send('Input.dispatchTouchEvent', {
      type: 'touchMove',
      touchPoints: [{ x, y: y + (dy * i) / 10 }],
    });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** Every ancestor of the overlay up to the document has no CSS transform (so strokes are not scaled). */
const overlayUnscaled = (page: Page) =>
  page.locator('#overlay').evaluate((svg) => {
    for (let el: Element | null = svg; el; el = el.parentElement) {
      if (getComputedStyle(el).transform !== 'none') return false;
    }
    return true;
  });

test('outlines stay thin when zoomed; swipe scrolls at fit zoom; pinch and double tap zoom; rows and gaps highlight', async ({
  page,
  context,
}) => {
  await useSettings(context, { engine: 'server' });
  await page.goto('/');
  await scan(page);
  await snap(page, '06-review');
  const viewer = page.locator('#viewer');
  await expect(viewer).toHaveAttribute('data-scale', '1.00');
  await expect(page.locator('.legend li')).toHaveText(['product', 'shelf row', 'gap (empty)']);
  const rowCount = await page.locator('#rows li').count();
  await expect(page.locator('#overlay .row-label')).toHaveCount(rowCount);

  // Outlines: a 1 px line on a 2 px halo, never scaled by CSS.
  const strokes = await page
    .locator('#overlay [data-testid=boxes] path')
    .evaluateAll((paths) =>
      paths.map((p) => [
        p.getAttribute('class'),
        getComputedStyle(p).strokeWidth,
        p.getAttribute('vector-effect'),
      ]),
    );
  expect(strokes).toEqual([
    ['halo', '2px', 'non-scaling-stroke'],
    ['line', '1px', 'non-scaling-stroke'],
  ]);
  expect(await overlayUnscaled(page)).toBe(true);

  // A vertical swipe on the photo at fit zoom scrolls the page.
  const cdp = await context.newCDPSession(page);
  const { x, y } = await viewerCentre(page);
  const before = await page.evaluate(() => scrollY);
  await swipe(cdp, x, y, -250);
  await expect.poll(() => page.evaluate(() => scrollY)).toBeGreaterThan(before + 100);
  await page.evaluate(() => scrollTo({ top: 0 }));

  // Pinch zooms in; the overlay follows without being scaled.
  const c = await viewerCentre(page);
  await pinch(cdp, c.x, c.y, 60, 240);
  await expect.poll(async () => Number(await viewer.getAttribute('data-scale'))).toBeGreaterThan(2);
  expect(await overlayUnscaled(page)).toBe(true);
  await snap(page, '07-zoomed');
  // Zoomed in, the arrow keys pan.
  const t0 = await page.locator('#stage').evaluate((s) => s.style.transform);
  await viewer.focus();
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.locator('#stage').evaluate((s) => s.style.transform)).not.toBe(t0);
  // A double tap goes back to fit, another zooms in at the tapped point.
  await page.touchscreen.tap(c.x, c.y);
  await page.touchscreen.tap(c.x, c.y);
  await expect(viewer).toHaveAttribute('data-scale', '1.00');
  await page.touchscreen.tap(c.x, c.y);
  await page.touchscreen.tap(c.x, c.y);
  await expect(viewer).toHaveAttribute('data-scale', '2.50');
  await page.getByRole('button', { name: 'Fit' }).tap();
  await expect(viewer).toHaveAttribute('data-scale', '1.00');

  // Tap a row in the list: it is highlighted on the photo (and zoomed to).
  const row = page.locator('#rows button').nth(1);
  await row.tap();
  await expect(row).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#overlay .focus path')).toHaveCount(2);
  await expect(page.locator('#overlay')).toHaveClass(/dimmed/);
  await expect.poll(async () => Number(await viewer.getAttribute('data-scale'))).toBeGreaterThan(1);
  await snap(page, '08-row-highlighted');
  await row.tap();
  await expect(row).toHaveAttribute('aria-pressed', 'false');
  await expect(page.locator('#overlay .focus path')).toHaveCount(0);
  const gaps = page.locator('#gaps button');
  if ((await gaps.count()) > 0) {
    await expect(gaps.first()).toHaveText(/^Row \d+, \d+–\d+ % from the left, room for about \d+ products?$/);
    await gaps.first().tap();
    await expect(gaps.first()).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('#overlay .focus path')).toHaveCount(2);
  }
});

test('dark mode', async ({ browser, baseURL }) => {
  const { defaultBrowserType: _, ...pixel } = devices['Pixel 7'];
  const context = await browser.newContext({ ...pixel, baseURL: baseURL!, colorScheme: 'dark' });
  await useSettings(context, { engine: 'server' });
  const page = await context.newPage();
  await page.goto('/');
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe(
    'rgb(16, 20, 18)',
  );
  await scan(page);
  await snap(page, '14-dark-review');
  await context.close();
});
