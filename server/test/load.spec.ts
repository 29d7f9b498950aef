import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from './helpers/app.js';
import { shelfJpeg } from './helpers/images.js';

// Real listening server (not inject): queueing, sockets and the event loop are what is tested here.
let app: FastifyInstance;
let close: () => Promise<void>;
let base: string;
let photo: Buffer;
const QUEUE_SIZE = 2;

beforeAll(async () => {
  ({ app, close } = await buildTestApp({ WORKERS: '1', QUEUE_SIZE: String(QUEUE_SIZE) }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // Big enough that one inference takes a while on a busy 2-core machine.
  photo = await shelfJpeg(2400, 1800);
});
afterAll(async () => close?.());

async function predict(): Promise<{ status: number; ms: number; retryAfter: string | null; code?: string }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/predict`, {
    method: 'POST',
    body: photo,
    headers: { 'content-type': 'image/jpeg' },
  });
  const body = (await res.json()) as { error?: { code: string } };
  return {
    status: res.status,
    ms: performance.now() - t0,
    retryAfter: res.headers.get('retry-after'),
    code: body.error?.code,
  };
}

async function busyWorkers(): Promise<number> {
  return (await app.metrics.workersBusy.get()).values[0]?.value ?? 0;
}

describe('overload and resilience (WORKERS=1, QUEUE_SIZE=2)', () => {
  it('refuses requests beyond workers + queue with 503 + Retry-After at once; accepted ones complete', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => predict()));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 503);
    expect(ok.length + refused.length).toBe(results.length);
    expect(ok.length).toBeGreaterThanOrEqual(1 + QUEUE_SIZE);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.code).toBe('QUEUE_FULL');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    }
    // Refusals do not wait for the queue: each comes back before the slowest accepted request.
    expect(Math.max(...refused.map((r) => r.ms))).toBeLessThan(Math.max(...ok.map((r) => r.ms)));
    console.info(
      `overload: ${ok.length} accepted (slowest ${Math.round(Math.max(...ok.map((r) => r.ms)))} ms), ` +
        `${refused.length} refused (slowest ${Math.round(Math.max(...refused.map((r) => r.ms)))} ms)`,
    );
    expect(
      (await fetch(`${base}/metrics`).then((r) => r.text())).match(
        /shelfwatch_requests_rejected_total\{code="QUEUE_FULL"\} (\d+)/,
      )?.[1],
    ).toBe(String(refused.length));
  });

  it('/health/live answers 200 while inference is saturated', async () => {
    const load = Promise.all(Array.from({ length: 1 + QUEUE_SIZE }, () => predict()));
    await expect.poll(busyWorkers, { timeout: 10_000, interval: 5 }).toBe(1);
    const timings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/health/live`);
      timings.push(performance.now() - t0);
      expect(res.status).toBe(200);
    }
    const busyAtEnd = await busyWorkers();
    await load;
    timings.sort((a, b) => a - b);
    console.info(
      `/health/live under saturation: median ${timings[5]!.toFixed(1)} ms, max ${timings[9]!.toFixed(1)} ms (worker busy at end: ${busyAtEnd})`,
    );
    // How fast is measured, not asserted: `pnpm bench:server` prints /health/live percentiles under load.
  });

  it('a killed worker is replaced; the request it held fails with 503, not a hang', async () => {
    const pending = predict();
    await expect.poll(busyWorkers, { timeout: 10_000, interval: 2 }).toBe(1);
    const [worker] = app.inference.pool.threads;
    await worker!.terminate();
    const failed = await pending;
    expect(failed.status).toBe(503);
    expect(failed.code).toBe('WORKER_FAILED');
    expect(failed.retryAfter).toBe('1');
    // piscina starts a replacement; it loads the model and serves again.
    await expect.poll(() => app.inference.pool.threads.length, { timeout: 10_000 }).toBe(1);
    expect(app.inference.pool.threads[0]).not.toBe(worker);
    const next = await predict();
    expect(next.status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);
  });
});
