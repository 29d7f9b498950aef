import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { poll } from '../src/poll.js';
import { freePort } from '../src/ports.js';
import { startServer } from '../src/server.js';
import { Service } from '../src/service.js';

describe('freePort and poll', () => {
  it('gives a port that can be listened on', async () => {
    const port = await freePort();
    const srv = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    srv.close();
  });

  it('returns the first defined value; a throwing probe counts as not yet', async () => {
    let n = 0;
    const value = await poll(
      'the third probe',
      async () => {
        n++;
        if (n === 1) throw new Error('not yet');
        return n === 3 ? 'done' : undefined;
      },
      { intervalMs: 1 },
    );
    expect([value, n]).toEqual(['done', 3]);
  });

  it('stops at once when check throws, without waiting for the timeout', async () => {
    let probes = 0;
    let checks = 0;
    await expect(
      poll(
        'never',
        async () => {
          probes++;
          return undefined;
        },
        {
          intervalMs: 1,
          timeoutMs: 3_600_000,
          check: () => {
            if (++checks === 3) throw new Error('gone');
          },
        },
      ),
    ).rejects.toThrow('gone');
    expect([checks, probes]).toEqual([3, 2]);
  });

  it('times out naming what it waited for and the last error', async () => {
    await expect(
      poll(
        'the moon',
        async () => {
          throw new Error('no moon');
        },
        { timeoutMs: 20, intervalMs: 5 },
      ),
    ).rejects.toThrow(/waiting for the moon: Error: no moon/);
  });
});

// A stand-in HTTP process (node -e) plays the server: the readiness contract is the same.
const fakeServer = (ready: boolean) =>
  `require('http').createServer((q, s) => { s.statusCode = ${ready ? 200 : 503}; s.end(q.url) })` +
  `.listen(+process.env.PORT, process.env.HOST)`;

describe('startServer', () => {
  it('starts the process on a free port and resolves once /health/ready is 200', async () => {
    const server = await startServer({ args: ['-e', fakeServer(true)], env: { PATH: process.env.PATH } });
    try {
      expect(await (await fetch(`${server.baseURL}/health/ready`)).text()).toBe('/health/ready');
      expect(server.baseURL).toBe(`http://127.0.0.1:${server.port}`);
    } finally {
      await server.stop();
    }
    expect(server.service.hasExited).toBe(true);
  });

  it('fails with the output when the process exits, and when it is never ready', async () => {
    await expect(
      startServer({ name: 'crasher', args: ['-e', 'console.error("boom"); process.exit(3)'], env: {} }),
    ).rejects.toThrow(/crasher exited \(3\)[\s\S]*boom/);
    await expect(
      startServer({ args: ['-e', fakeServer(false)], env: {}, readyTimeoutMs: 500 }),
    ).rejects.toThrow(/timed out after 500 ms waiting for server/);
  });

  it('Service.stop ends a process that ignores nothing', async () => {
    const s = new Service('sleeper', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    s.assertRunning();
    await s.stop();
    expect(() => s.assertRunning()).toThrow(/sleeper exited/);
  });
});
