import { existsSync } from 'node:fs';
/** Starts the server with the production build once for all tests; tests read E2E_BASE_URL and E2E_FIXTURE. */
import { chromium, type FullConfig } from '@playwright/test';
import { makeShelfFixture } from './support/fixture.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './support/paths.ts';
import { startServer } from './support/server.ts';

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium) or set CHROME_PATH`,
    );
  }
  const server = await startServer();
  process.env.E2E_BASE_URL = server.baseURL;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    process.env.E2E_FIXTURE = await makeShelfFixture(browser);
  } finally {
    await browser.close();
  }
  return async () => {
    await server.stop();
  };
}
