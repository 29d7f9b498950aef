import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_DIR } from '../helpers/build.js';
import { spawnServer } from '../helpers/spawn-server.js';

// Issue 9, items 6 and 7: what the built server refuses to start with, as a process.
describe('start-up refusals of the built server', () => {
  it.each([
    ['API_KEYS unset outside development mode', { API_KEYS: undefined }, /API_KEYS is required/],
    ['API_KEYS empty in production', { API_KEYS: '', NODE_ENV: 'production' }, /API_KEYS is required/],
    ['DEV_MODE together with NODE_ENV=production', { DEV_MODE: 'true', NODE_ENV: 'production' }, /DEV_MODE/],
    ['TRUST_PROXY=true', { TRUST_PROXY: 'true' }, /TRUST_PROXY=true/],
  ])('%s: exits 1 without listening', async (_name, env, message) => {
    const server = await spawnServer(env, { waitReady: false });
    try {
      expect(await server.exited).toBe(1);
      expect(server.base).toBe('exited');
      expect(server.logs()).toMatch(message);
      expect(server.logs()).not.toContain('model loaded');
    } finally {
      await server.kill();
    }
  });

  it('development mode accepts the public dev key, with a warning', async () => {
    const server = await spawnServer({ API_KEYS: undefined, DEV_MODE: 'true' });
    try {
      const me = await fetch(`${server.base}/me`, { headers: { authorization: 'Bearer dev-key' } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { stores: string[] }).stores).toEqual(['demo-store']);
      expect(server.logs()).toContain('DEV_MODE without API_KEYS');
    } finally {
      await server.kill();
    }
  });

  it('with API_KEYS the dev key is refused', async () => {
    const server = await spawnServer({});
    try {
      const me = await fetch(`${server.base}/me`, { headers: { authorization: 'Bearer dev-key' } });
      expect(me.status).toBe(401);
    } finally {
      await server.kill();
    }
  });

  it('`pnpm start` is what sets development mode', () => {
    const pkg = JSON.parse(readFileSync(resolve(SERVER_DIR, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toMatch(/^DEV_MODE=true node dist\/server\.js$/);
  });
});
