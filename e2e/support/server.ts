/**
 * Starts the real server (built `server/dist/server.js`) serving the production PWA build
 * (`web/dist`) on a free loopback port with a throw-away PGlite directory, and stops it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, SERVER_ENTRY, startServer as startChild } from '@shelfwatch/test-utils';
import { REPO_DIR } from './paths.ts';

export type { RunningServer };

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const web = join(REPO_DIR, 'web', 'dist', 'index.html');
  for (const f of [SERVER_ENTRY, web]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run the build first (pnpm build)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-e2e-pglite-'));
  try {
    const server = await startChild({
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        WEB_ROOT: join(REPO_DIR, 'web', 'dist'),
        WORKERS: '1',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_MINUTE: '100000',
        API_KEYS: '',
        // The tests use the development key, which the server accepts only in development mode.
        DEV_MODE: 'true',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
        DATABASE_URL: '',
        ...env,
      },
    });
    return {
      ...server,
      async stop() {
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}
