/**
 * The photo-quality check on generated copies of a real shelf photo (SKU-110K from ../shared/data;
 * the rendered fixture where that is absent): blurred, dark, tilted and taken from too far away each
 * get their warning with "Retake" / "Use anyway"; the photo as taken gets none.
 */
import { devices, expect, type Page, test } from '@playwright/test';
import { useSettings } from '../support/app.ts';
import { type Derive, derivePhoto, shelfPhoto } from '../support/photos.ts';
import { snap } from '../support/screens.ts';

test.use({ ...devices['Pixel 7'] });

async function choose(page: Page, source: string, d: Derive) {
  const buffer = await derivePhoto(page, source, d);
  await page.getByTestId('file-input').setInputFiles({ name: 'shelf.jpg', mimeType: 'image/jpeg', buffer });
}

/** Per photo: decode ms / quality check ms (grey copy + analysis), for the README. */
const checkMs: string[] = [];

/** Waits for the check to end: the warnings it raised (empty when it went straight to the review). */
async function warnings(page: Page): Promise<string[]> {
  const main = page.locator('main');
  const use = page.getByRole('button', { name: 'Use anyway' });
  await expect
    .poll(async () => ((await use.isVisible()) ? 'asked' : await main.getAttribute('data-step')), {
      timeout: 60_000,
    })
    .toMatch(/^(asked|review)$/);
  const status = page.getByTestId('check-status');
  checkMs.push(
    `${await status.getAttribute('data-decode-ms')}/${await status.getAttribute('data-quality-ms')}`,
  );
  return page
    .getByTestId('quality-warnings')
    .locator('li')
    .evaluateAll((li) => li.map((l) => l.getAttribute('data-code') ?? ''));
}

test('quality warnings on blurred, dark, tilted and far-away copies of a shelf photo; none on the photo itself', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  const { path, real } = shelfPhoto();
  await useSettings(context, { engine: 'server' });
  await page.goto('/');

  await choose(page, path, {});
  expect(await warnings(page)).toEqual([]);
  await expect(page.locator('main')).toHaveAttribute('data-step', 'review');

  // Before counting: blur and darkness.
  await choose(page, path, { blur640: 3 });
  expect(await warnings(page)).toEqual(['blurry']);
  await snap(page, '04-quality-blurry');
  await page.getByRole('button', { name: 'Retake' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'capture');

  await choose(page, path, { filter: 'brightness(0.3)' });
  expect(await warnings(page)).toEqual(['dark']);
  await page.getByRole('button', { name: 'Use anyway' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'review', { timeout: 60_000 });
  // The accepted warning stays visible next to the count.
  await expect(page.getByTestId('review-warnings').locator('li[data-code="dark"]')).toHaveCount(1);

  // After counting: tilted shelves and products too small to count well.
  await choose(page, path, { rotate: 15 });
  expect(await warnings(page)).toEqual(['tilted']);
  await expect(page.getByTestId('quality-warnings')).toContainText('tilted by about');
  await snap(page, '05-quality-tilted');
  await page.getByRole('button', { name: 'Retake' }).click();

  await choose(page, path, { zoomOut: 3.3 });
  expect(await warnings(page)).toEqual(['small']);
  await page.getByRole('button', { name: 'Use anyway' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'review', { timeout: 60_000 });
  console.log(
    `quality check (${real ? 'real photo' : 'fixture'}), decode/check ms per photo: ${checkMs.join(', ')}`,
  );
});
