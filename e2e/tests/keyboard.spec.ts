/**
 * The whole flow with the keyboard only: setup, choosing a photo, the review (zoom and pan with
 * keys, picking a row), the audit form and the confirmation. No mouse, no touch.
 */
import { expect, type Page, test } from '@playwright/test';
import { fixturePath, useSettings } from '../support/app.ts';

/** Presses Tab until `selector` has focus (at most `max` times). */
async function tabTo(page: Page, selector: string, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} never got focus with Tab`);
}

const focused = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

test('keyboard only: setup → photo → review (zoom, pan, rows) → audit → confirmation', async ({
  page,
  context,
}) => {
  await useSettings(context, { engine: 'server', setupDone: false });
  // Listen before any key press: Playwright turns on file chooser interception asynchronously.
  const chooser = page.waitForEvent('filechooser');
  await page.goto('/');
  const main = page.locator('main');
  await expect(main).toHaveAttribute('data-step', 'setup');
  await expect.poll(() => focused(page)).toBe('setup-key');
  await page.keyboard.type('dev-key');
  await page.keyboard.press('Tab');
  expect(await focused(page)).toBe('setup-store');
  // The key's only store is filled in once GET /me has answered; typing before that answer would
  // race the fill (and type the store twice).
  await expect(page.getByTestId('key-status')).toHaveAttribute('data-state', 'ok');
  await expect(page.locator('#setup-store')).toHaveValue('demo-store');
  await page.keyboard.press('Enter');
  await expect(main).toHaveAttribute('data-step', 'capture');
  expect(await focused(page)).toBe('capture-title');

  // The gallery input is reachable and opens the file chooser from the keyboard.
  await tabTo(page, '#file-input');
  await page.keyboard.press('Space');
  await (await chooser).setFiles(fixturePath());
  await expect(main).toHaveAttribute('data-step', 'review', { timeout: 60_000 });
  expect(await focused(page)).toBe('review-title');

  // The photo: + zooms, arrows pan, 0 fits.
  await tabTo(page, '#viewer');
  const viewer = page.locator('#viewer');
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await expect(viewer).toHaveAttribute('data-scale', '1.56');
  const before = await page.locator('#stage').evaluate((s) => s.style.transform);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect.poll(() => page.locator('#stage').evaluate((s) => s.style.transform)).not.toBe(before);
  await page.keyboard.press('0');
  await expect(viewer).toHaveAttribute('data-scale', '1.00');

  // A row picked with Enter is highlighted.
  await tabTo(page, '#rows button');
  await page.keyboard.press('Enter');
  await expect(page.locator('#rows button').first()).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('#overlay .focus path')).toHaveCount(2);

  await tabTo(page, '#review-audit');
  await page.keyboard.press('Enter');
  await expect(main).toHaveAttribute('data-step', 'audit');
  expect(await focused(page)).toBe('audit-title');
  await tabTo(page, '#audit-aisle');
  await expect(page.locator('#audit-store')).toHaveValue('demo-store');
  await page.keyboard.type(`kbd-${Date.now().toString(36)}`);
  await page.keyboard.press('Enter');
  await expect(main).toHaveAttribute('data-step', 'done');
  await expect(page.getByTestId('done-status')).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  await expect(page.getByTestId('official-count')).toBeVisible();

  // The stored record opens from its link, and closes with Escape.
  await tabTo(page, '[data-testid=audit-link]');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('record')).toBeVisible();
  await expect(page.getByTestId('record')).toContainText('Official count');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('record')).toBeHidden();

  await tabTo(page, '#done-next');
  await page.keyboard.press('Enter');
  await expect(main).toHaveAttribute('data-step', 'capture');

  // Settings open and close from the keyboard.
  await tabTo(page, '#settings-open');
  await page.keyboard.press('Enter');
  await expect(page.locator('#settings')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.locator('#settings')).toBeHidden();
});
