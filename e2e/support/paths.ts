import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = join(E2E_DIR, '..');
export const REPORTS_DIR = join(E2E_DIR, 'reports');
export const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';
/** Debian's Chromium, never a downloaded browser (docs/DECISIONS.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
