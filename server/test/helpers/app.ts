import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { sha256Hex } from '../../src/auth/api-keys.js';
import { type Config, loadConfig } from '../../src/config.js';
import { ensureBuilt } from './build.js';
import { createTestSchema } from './postgres.js';

/** Keys of the test key ring: two stores' tablets and head office. */
export const KEYS = {
  store1: 'key-store-1',
  store2: 'key-store-2',
  headOffice: 'key-head-office',
} as const;

export const TEST_API_KEYS = JSON.stringify([
  { name: 'store-1-tablet', sha256: sha256Hex(KEYS.store1), stores: ['store-1'] },
  { name: 'store-2-tablet', sha256: sha256Hex(KEYS.store2), stores: ['store-2', 'store-3'] },
  { name: 'head-office', sha256: sha256Hex(KEYS.headOffice), stores: ['*'] },
]);

/** Laptop-small settings for tests: one worker with one thread, no rate limits, PGlite in a fresh temp dir. */
export function testConfig(overrides: Record<string, string> = {}): { config: Config; cleanup: () => void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-test-'));
  const config = loadConfig({
    WORKERS: '1',
    INTRA_OP_THREADS: '1',
    QUEUE_SIZE: '8',
    RATE_LIMIT_PER_MINUTE: '0',
    KEY_RATE_LIMIT_PER_MINUTE: '0',
    AUTH_FAILURES_PER_MINUTE: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: join(dataDir, 'pglite'),
    WEB_ROOT: join(dataDir, 'no-web'),
    API_KEYS: TEST_API_KEYS,
    ...overrides,
  });
  return { config, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Builds the app with the shipped model and waits until the worker has loaded it.
 * @param logger pino options (e.g. `{ level: 'info', stream }` to read the logs); default none
 */
export async function buildTestApp(
  overrides: Record<string, string> = {},
  logger: false | Record<string, unknown> = false,
): Promise<{ app: FastifyInstance; config: Config; close: () => Promise<void> }> {
  ensureBuilt();
  const { config, cleanup } = testConfig(overrides);
  const app = await buildApp({ config, logger });
  await app.inference.whenReady();
  return {
    app,
    config,
    close: async () => {
      await app.close();
      cleanup();
    },
  };
}

/**
 * {@link buildTestApp} on one audit database: the embedded PGlite, or a fresh schema of the test
 * PostgreSQL (created here, dropped by `close`).
 */
export async function buildTestAppOn(
  database: 'pglite' | 'postgres',
  overrides: Record<string, string> = {},
): Promise<{ app: FastifyInstance; config: Config; close: () => Promise<void> }> {
  const schema = database === 'postgres' ? await createTestSchema() : undefined;
  try {
    const built = await buildTestApp({ ...overrides, ...schema?.env });
    return {
      ...built,
      close: async () => {
        await built.close();
        await schema?.drop();
      },
    };
  } catch (err) {
    await schema?.drop();
    throw err;
  }
}
