import { afterEach, describe, expect, it } from 'vitest';
import { shelfJpeg } from './helpers/images.js';
import { type SpawnedServer, spawnServer } from './helpers/spawn-server.js';

// The built server as a child process, as `pnpm start` runs it: signals, sockets and exit codes are real.
let server: SpawnedServer | undefined;
afterEach(async () => {
  await server?.kill();
  server = undefined;
});

const predict = (base: string, photo: Buffer) =>
  fetch(`${base}/predict`, { method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg' } });

describe('graceful shutdown of the built server', () => {
  it('SIGTERM under load: every accepted request completes, then the process exits 0', async () => {
    server = await spawnServer({ QUEUE_SIZE: '16', SHUTDOWN_DRAIN_DELAY_MS: '0' });
    const { base } = server;
    const photo = await shelfJpeg(1600, 1200);
    const n = 6;
    const requests = Array.from({ length: n }, () =>
      predict(base, photo).then(
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
    server.child.kill('SIGTERM');
    const results = await Promise.all(requests);
    expect(results.map((r) => r.status)).toEqual(Array(n).fill(200));
    expect(await server.exited).toBe(0);
    expect(server.logs()).toContain('readiness off, draining in-flight requests');
    expect(server.logs()).toContain('shut down cleanly');
    // Nothing listens any more.
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });

  it('SIGTERM with a drain delay: readiness turns 503 at once, new requests are still served, then it exits', async () => {
    server = await spawnServer({ SHUTDOWN_DRAIN_DELAY_MS: '3000' });
    const { base } = server;
    const photo = await shelfJpeg(320, 240);
    server.child.kill('SIGTERM');
    await expect
      .poll(async () => (await fetch(`${base}/health/ready`)).status, { timeout: 2_000, interval: 20 })
      .toBe(503);
    // The load balancer has not noticed yet and still sends traffic: it is answered, not refused.
    const late = await predict(base, photo);
    expect(late.status).toBe(200);
    expect(late.headers.get('connection')).toBe('close');
    expect(server.child.exitCode).toBeNull();
    expect(await server.exited).toBe(0);
    const logs = server.logs();
    expect(logs).toMatch(/"drainDelayMs":3000/);
    expect(logs.indexOf('drain delay over')).toBeGreaterThan(logs.indexOf('readiness off'));
    expect(logs).toContain('shut down cleanly');
  });
});
