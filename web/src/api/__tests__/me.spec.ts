import { describe, expect, it } from 'vitest';
import { checkKey, keyAllowsStore, parseMe } from '../me.ts';

const me = {
  key: { name: 'store-12' },
  stores: ['demo-store'],
  limits: { maxPixels: 50_000_000, maxBodyBytes: 20_971_520 },
};
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('GET /me client', () => {
  it('parses the contract and refuses anything else', () => {
    expect(parseMe(me, 5)).toEqual({
      keyName: 'store-12',
      stores: ['demo-store'],
      limits: { maxPixels: 50_000_000, maxBodyBytes: 20_971_520 },
      checkedAt: 5,
    });
    expect(parseMe({ ...me, limits: { maxPixels: 0, maxBodyBytes: 1 } })).toBeUndefined();
    expect(parseMe('<html>')).toBeUndefined();
    expect(parseMe({ ...me, stores: [1] })).toBeUndefined();
  });

  it('checks a key with a bearer header and turns every failure into plain words', async () => {
    let auth: string | null = null;
    const ok = await checkKey(' dev-key ', 'http://x', async (_u, init) => {
      auth = new Headers(init?.headers).get('authorization');
      return json(200, me);
    });
    expect(ok.ok).toBe(true);
    expect(auth).toBe('Bearer dev-key');
    const bad = await checkKey('nope', '', async () =>
      json(401, { error: { code: 'UNAUTHORIZED', message: 'x' } }),
    );
    expect(bad).toMatchObject({
      ok: false,
      status: 401,
      error: { code: 'UNAUTHORIZED', action: 'settings' },
    });
    const portal = await checkKey('k', '', async () => new Response('<html>', { status: 200 }));
    expect(portal).toMatchObject({ ok: false, error: { code: 'INVALID_RESPONSE' } });
    const offline = await checkKey('k', '', async () => {
      throw new TypeError('Failed to fetch');
    });
    expect(offline).toMatchObject({ ok: false, error: { code: 'NETWORK' } });
    expect(await checkKey('', '')).toMatchObject({ ok: false, error: { code: 'NO_API_KEY' } });
  });

  it('knows which stores a key may audit', () => {
    const info = parseMe(me)!;
    expect(keyAllowsStore(info, 'demo-store')).toBe(true);
    expect(keyAllowsStore(info, 'other')).toBe(false);
    expect(keyAllowsStore({ ...info, stores: ['*'] }, 'other')).toBe(true);
  });
});
