/** Screenshots of each step for people to look at (e2e/reports/screens, git-ignored). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { REPORTS_DIR } from './paths.ts';

export const SCREENS_DIR = join(REPORTS_DIR, 'screens');

/** Saves the viewport at CSS pixel size (412 px wide on a Pixel 7) as `screens/<name>.png`. */
export async function snap(page: Page, name: string, { fullPage = false } = {}): Promise<void> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  await page.screenshot({
    path: join(SCREENS_DIR, `${name}.png`),
    scale: 'css',
    fullPage,
    animations: 'disabled',
  });
}
