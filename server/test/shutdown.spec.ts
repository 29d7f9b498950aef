import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_API_KEYS } from './helpers/app.js';
import { ensureBuilt, SERVER_DIR } from './helpers/build.js';
import { shelfJpeg } from './helpers/images.js';
import { waitFor } from './helpers/wait.js';

// The built server as a child process, as `pnpm start` runs it: signals, sockets and exit codes are real.
let child: ChildProcess;
let base: string;
let logs = '';
let dataDir: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  ensureBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-shutdown-'));
  child = spawn(process.execPath, [resolve(SERVER_DIR, 'dist/server.js')], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      WORKERS: '1',
      INTRA_OP_THREADS: '1',
      QUEUE_SIZE: '16',
      RATE_LIMIT_PER_MINUTE: '0',
      DATA_DIR: join(dataDir, 'pglite'),
      WEB_ROOT: join(dataDir, 'none'),
      API_KEYS: TEST_API_KEYS,
      DATABASE_URL: '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((r) => child.once('exit', (code) => r(code)));
  child.stdout!.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    logs += d.toString();
  });
  base = await waitFor(
    () => /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs)?.[1],
    `the server to listen; logs:\n${logs}`,
  );
  await waitFor(
    () =>
      fetch(`${base}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      ),
    'readiness',
    60_000,
    200,
  );
}, 90_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('graceful shutdown of the built server', () => {
  it('SIGTERM under load: every accepted request completes, then the process exits 0', async () => {
    const photo = await shelfJpeg(1600, 1200);
    const n = 6;
    const requests = Array.from({ length: n }, () =>
      fetch(`${base}/predict`, {
        method: 'POST',
        body: photo,
        headers: { 'content-type': 'image/jpeg' },
      }).then(
        async (r) => ({ status: r.status, count: ((await r.json()) as { count?: number }).count }),
        (err: Error) => ({ status: -1, count: undefined, err: err.message }),
      ),
    );
    // Wait until the server holds all of them (one running, the rest queued), then pull the plug.
    await expect
      .poll(
        async () => {
          const text = await fetch(`${base}/metrics`).then((r) => r.text());
          const queued = Number(/^shelfwatch_queue_depth (\d+)/m.exec(text)?.[1] ?? 0);
          const busy = Number(/^shelfwatch_workers_busy (\d+)/m.exec(text)?.[1] ?? 0);
          return queued + busy;
        },
        { timeout: 20_000, interval: 10 },
      )
      .toBeGreaterThanOrEqual(n - 1);
    child.kill('SIGTERM');
    const results = await Promise.all(requests);
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
    expect(await exited).toBe(0);
    expect(logs).toContain('readiness off, draining in-flight requests');
    expect(logs).toContain('shut down cleanly');
    // Nothing listens any more.
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });
});
