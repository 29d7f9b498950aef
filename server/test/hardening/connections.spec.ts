import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { listen, partialRequest, postImage, request } from '../helpers/http.js';
import { shelfJpeg } from '../helpers/images.js';

// Issue 9, item 9: connection timeouts, request ids and error causes in the logs.
let app: FastifyInstance;
let close: () => Promise<void>;
let base: string;
const logLines: string[] = [];

beforeAll(async () => {
  ({ app, close } = await buildTestApp(
    {
      HEADERS_TIMEOUT_MS: '1000',
      REQUEST_TIMEOUT_MS: '2500',
      KEEP_ALIVE_TIMEOUT_MS: '1000',
    },
    { level: 'info', stream: { write: (line: string) => logLines.push(line) } },
  ));
  // Node checks header and request timeouts every 30 s by default; the test cannot wait that long.
  (app.server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval = 250;
  base = await listen(app);
});
afterAll(async () => close?.());

/** Waits (10 s at most) for the server to close `socket`; resolves with whether it did, and when. */
function serverCloses(socket: Socket): Promise<{ closed: boolean; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const done = (closed: boolean) => {
      clearTimeout(timer);
      resolve({ closed, ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => done(false), 10_000);
    socket.on('close', () => done(true));
    socket.on('error', () => {});
  }).finally(() => socket.destroy()) as Promise<{ closed: boolean; ms: number }>;
}

function rawSocket(): Socket {
  const { port } = new URL(base);
  return connect(Number(port), '127.0.0.1');
}

describe('connections end', () => {
  it('a connection that never sends a byte is closed after HEADERS_TIMEOUT_MS', async () => {
    const { closed, ms } = await serverCloses(rawSocket());
    console.info(`silent connection closed after ${ms.toFixed(0)} ms`);
    expect(closed).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(900);
  });

  it('an unterminated header block is closed (or answered 408) after HEADERS_TIMEOUT_MS', async () => {
    const socket = rawSocket();
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    socket.write('GET /health/live HTTP/1.1\r\nHost: t\r\n');
    expect((await serverCloses(socket)).closed).toBe(true);
    expect(text === '' || text.startsWith('HTTP/1.1 408'), text).toBe(true);
  });

  it('an upload that stalls is cut after REQUEST_TIMEOUT_MS and frees its queue slot', async () => {
    const { socket, answer } = partialRequest(
      base,
      'POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\nContent-Length: 100000',
      Buffer.from([0xff, 0xd8, 0xff]),
      10_000,
    );
    const r = await answer;
    socket.destroy();
    expect(r.closed || r.status === 408, r.text).toBe(true);
    const ok = await postImage(base, '/predict', await shelfJpeg(160, 120), 'image/jpeg');
    expect(ok.status).toBe(200);
  });

  it('an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS', async () => {
    const { socket, answer } = partialRequest(base, 'GET /health/live HTTP/1.1\r\nHost: t', '', 10_000);
    expect((await answer).status).toBe(200);
    const { closed, ms } = await serverCloses(socket);
    expect(closed).toBe(true);
    expect(ms).toBeLessThan(9_000);
  });
});

describe('request ids', () => {
  it('keeps an id that looks like one', async () => {
    for (const id of [
      'phone-abc-123',
      '01HZX5Q7K3M2N8P4R6S9T0V1W2',
      'Root=1-5f84c7a5-2c3d4e5f6a7b8c9d0e1f2a3b',
    ]) {
      const res = await request(`${base}/health/live`, { headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id']).toBe(id);
    }
  });

  it('replaces anything else with a fresh UUID, and never logs the original', async () => {
    const bad = ['has spaces in it', '"quoted"', 'x'.repeat(200), '<script>', 'a;b,c'];
    for (const id of bad) {
      const res = await request(`${base}/nope`, { headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id'], id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    }
    const logs = logLines.join('');
    for (const id of bad) expect(logs).not.toContain(JSON.stringify(id).slice(1, -1));
  });
});

describe('logs carry the causes of errors', () => {
  it('a corrupt image logs the decoder message as its cause, not {}', async () => {
    const full = await shelfJpeg(320, 240);
    const res = await postImage(
      base,
      '/predict',
      full.subarray(0, Math.floor(full.length * 0.6)),
      'image/jpeg',
    );
    expect(res.status).toBe(422);
    const id = res.headers['x-request-id'];
    const line = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.reqId === id && l.msg === 'request rejected');
    expect(line, logLines.slice(-5).join('')).toBeDefined();
    expect(line!.code).toBe('UNDECODABLE_IMAGE');
    expect(typeof line!.cause).toBe('string');
    expect(line!.cause).toMatch(/jpeg|premature|truncat/i);
  });

  it('a 5xx logs the whole error with its cause chain', async () => {
    const pending = postImage(base, '/predict', await shelfJpeg(2400, 1800), 'image/jpeg');
    await expect
      .poll(async () => (await app.metrics.workersBusy.get()).values[0]?.value ?? 0, {
        timeout: 10_000,
        interval: 2,
      })
      .toBe(1);
    await app.inference.pool.threads[0]!.terminate();
    const res = await pending;
    expect(res.status).toBe(503);
    const line = logLines
      .map(
        (l) => JSON.parse(l) as { reqId?: string; msg?: string; err?: { message?: string; stack?: string } },
      )
      .find((l) => l.reqId === res.headers['x-request-id'] && l.msg === 'request refused');
    expect(line?.err?.message).toMatch(/Inference failed; try again\.: .+/);
    expect(line?.err?.stack).toContain('caused by:');
    await expect
      .poll(async () => (await postImage(base, '/predict', await shelfJpeg(160, 120), 'image/jpeg')).status, {
        timeout: 15_000,
      })
      .toBe(200);
  });
});
