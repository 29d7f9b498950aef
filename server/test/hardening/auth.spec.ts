import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, KEYS } from '../helpers/app.js';
import { listen, postImage, request } from '../helpers/http.js';
import { shelfJpeg } from '../helpers/images.js';

// Issue 9, items 6 and 7, and GET /me. Over real sockets from 127.0.0.1, which plays the ingress:
// the client's own X-Forwarded-For entries come first, the address the proxy saw is appended last.
let photo: Buffer;
beforeAll(async () => {
  photo = await shelfJpeg(160, 120);
});

async function start(env: Record<string, string>) {
  const built = await buildTestApp(env);
  return { ...built, base: await listen(built.app) };
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
/** As an ingress forwards it: whatever the client sent, then the client address it saw. */
const via = (client: string, spoofed = '') => ({
  'x-forwarded-for': spoofed ? `${spoofed}, ${client}` : client,
});

describe('behind a trusted proxy named by address (TRUST_PROXY=127.0.0.1)', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ctx = await start({
      TRUST_PROXY: '127.0.0.1,::1',
      RATE_LIMIT_PER_MINUTE: '3',
      KEY_RATE_LIMIT_PER_MINUTE: '6',
      AUTH_FAILURES_PER_MINUTE: '5',
    });
  });
  afterAll(async () => ctx?.close());

  it('7. rotating the client part of X-Forwarded-For does not get past the per-IP limit on /predict', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await postImage(
        ctx.base,
        '/predict',
        photo,
        'image/jpeg',
        via('203.0.113.7', `198.51.100.${i}`),
      );
      statuses.push(res.status);
      if (res.status === 429) expect(res.json().error.code).toBe('RATE_LIMITED');
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    // Another client behind the same proxy has its own budget.
    expect((await postImage(ctx.base, '/predict', photo, 'image/jpeg', via('203.0.113.8'))).status).toBe(200);
  });

  it('7. authenticated routes limit per API key, not per IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      // One key from eight addresses (phones on different networks): still one budget.
      statuses.push(
        (await request(`${ctx.base}/me`, { headers: { ...bearer(KEYS.store1), ...via(`192.0.2.${i}`) } }))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    // Another key behind the same NAT address is not affected.
    const other = await request(`${ctx.base}/me`, {
      headers: { ...bearer(KEYS.store2), ...via('192.0.2.1') },
    });
    expect(other.status).toBe(200);
  });

  it('6. failed authentications are throttled per client; then even a valid key waits', async () => {
    const client = via('203.0.113.50');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (await request(`${ctx.base}/audits`, { headers: { ...bearer(`guess-${i}`), ...client } })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const blocked = await request(`${ctx.base}/audits`, {
      headers: { ...bearer(KEYS.headOffice), ...client },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.json().error.code).toBe('AUTH_THROTTLED');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Spoofing another X-Forwarded-For entry does not help: the proxy's entry decides.
    const spoof = await request(`${ctx.base}/audits`, {
      headers: { ...bearer('guess-x'), ...via('203.0.113.50', '10.1.1.1') },
    });
    expect(spoof.status).toBe(429);
    // Other clients are not affected, and requests without a key are not counted as guesses.
    expect(
      (
        await request(`${ctx.base}/audits`, {
          headers: { ...bearer(KEYS.headOffice), ...via('203.0.113.51') },
        })
      ).status,
    ).toBe(200);
    for (let i = 0; i < 8; i++)
      expect((await request(`${ctx.base}/audits`, { headers: via('203.0.113.52') })).status).toBe(401);
    expect((await request(`${ctx.base}/metrics`)).body).toMatch(
      /shelfwatch_requests_rejected_total\{code="AUTH_THROTTLED"\} [1-9]/,
    );
  });
});

describe('behind a proxy given as a hop count (TRUST_PROXY=1)', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ctx = await start({ TRUST_PROXY: '1', RATE_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(async () => ctx?.close());

  it('7. only the entry the nearest proxy added counts', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await postImage(ctx.base, '/predict', photo, 'image/jpeg', via('203.0.113.9', `10.0.0.${i}`)))
          .status,
      );
    expect(statuses).toEqual([200, 200, 429, 429]);
  });
});

describe('without TRUST_PROXY', () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    ctx = await start({ RATE_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(async () => ctx?.close());

  it('7. X-Forwarded-For is ignored: the socket address is the client', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await postImage(ctx.base, '/predict', photo, 'image/jpeg', { 'x-forwarded-for': `198.51.100.${i}` }))
          .status,
      );
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it('GET /me: the key, its stores and the upload limits', async () => {
    const store = await request(`${ctx.base}/me`, { headers: bearer(KEYS.store2) });
    expect(store.status, store.body).toBe(200);
    expect(store.json()).toEqual({
      key: { name: 'store-2-tablet' },
      stores: ['store-2', 'store-3'],
      limits: { maxPixels: 16_777_216, maxBodyBytes: 16 * 1024 * 1024 },
    });
    const hq = await request(`${ctx.base}/me`, { headers: bearer(KEYS.headOffice) });
    expect(hq.json<{ stores: string[] }>().stores).toEqual(['*']);
    for (const headers of [{}, bearer('wrong'), { authorization: `Basic ${KEYS.store1}` }]) {
      const res = await request(`${ctx.base}/me`, { headers });
      expect(res.status).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
    expect((await request(`${ctx.base}/me?verbose=1`, { headers: bearer(KEYS.store1) })).status).toBe(400);
  });

  it('GET /me is in the OpenAPI document, with its security and schema', async () => {
    const spec = (await request(`${ctx.base}/docs/json`)).json<{
      paths: Record<string, { get?: { security?: unknown; responses: Record<string, unknown> } }>;
    }>();
    const me = spec.paths['/me']?.get;
    expect(me?.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(me?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401']));
    expect(JSON.stringify(me?.responses['200'])).toContain('maxBodyBytes');
  });
});
