import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, buildTestAppOn, KEYS } from '../helpers/app.js';
import { listen, partialRequest, postImage, request } from '../helpers/http.js';
import { blackPng, shelfJpeg } from '../helpers/images.js';
import { submitAsync } from '../helpers/jobs.js';
import { usePostgres } from '../helpers/postgres.js';

// Input that a route cannot use is refused with the app's error shape, before the body is read
// where it can be, and is never merged, joined or stored as something else.
const web = mkdtempSync(join(tmpdir(), 'shelfwatch-web-'));
let app: FastifyInstance;
let close: () => Promise<void>;
let base: string;
let jpeg: Buffer;

beforeAll(async () => {
  mkdirSync(join(web, 'assets'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>ShelfWatch</title>');
  writeFileSync(join(web, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(web, '.env'), 'SECRET=1');
  const outside = mkdtempSync(join(tmpdir(), 'shelfwatch-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'not part of the build');
  symlinkSync(join(outside, 'secret.txt'), join(web, 'leak.txt'));
  symlinkSync(outside, join(web, 'elsewhere'));
  ({ app, close } = await buildTestApp({ WEB_ROOT: web }));
  base = await listen(app);
  jpeg = await shelfJpeg(320, 240);
});
afterAll(async () => {
  await close?.();
  rmSync(web, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${KEYS.store1}` };
const code = (res: { json: () => { error: { code: string } } }) => res.json().error.code;

/** A multipart body of text fields (in order, repeats kept) and the image. */
function multipart(fields: [string, string | Buffer][], image: Buffer): { body: Buffer; type: string } {
  const b = 'x-boundary-x';
  const parts = fields.map(([name, value]) =>
    Buffer.concat([
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
      Buffer.from(value),
      Buffer.from('\r\n'),
    ]),
  );
  return {
    body: Buffer.concat([
      ...parts,
      Buffer.from(
        `--${b}\r\nContent-Disposition: form-data; name="image"; filename="s.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      image,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]),
    type: `multipart/form-data; boundary=${b}`,
  };
}

describe('the query, headers and store are checked before an upload is read', () => {
  // 10 MB announced, 1 KB sent: an answer can only come before the body.
  const upload = (path: string, headers: string[]) =>
    partialRequest(
      base,
      [
        `POST ${path} HTTP/1.1`,
        'Host: x',
        'Content-Type: image/jpeg',
        'Content-Length: 10000000',
        ...headers,
      ].join('\r\n'),
      Buffer.alloc(1024),
      4_000,
    );

  it.each([
    ['a threshold out of range on /predict', '/predict?conf=2', [], 400],
    [
      'an unknown query key on /audits',
      '/audits?storeId=store-1&aisle=A1&shelf=3',
      [`Authorization: ${auth.authorization}`],
      400,
    ],
    [
      'a bad Idempotency-Key on an async submit',
      '/audits?storeId=store-1&aisle=A1',
      [`Authorization: ${auth.authorization}`, 'Prefer: respond-async', 'Idempotency-Key: a\tb'],
      400,
    ],
    [
      'a store the key may not use',
      '/audits?storeId=store-2&aisle=A1',
      [`Authorization: ${auth.authorization}`],
      403,
    ],
  ])('%s -> answered at once', async (_name, path, headers, status) => {
    const { socket, answer } = upload(path, headers);
    const r = await answer;
    socket.destroy();
    expect(r.status, r.text).toBe(status);
    expect(r.text).toContain('"code":"');
  });
});

describe('each input is given once', () => {
  it('two Idempotency-Key headers -> 400, not one key "a, b"', async () => {
    // fetch would join them into one line: two lines need a socket of our own.
    const { socket, answer } = partialRequest(
      base,
      [
        'POST /audits?storeId=store-1&aisle=A1 HTTP/1.1',
        'Host: x',
        'Content-Type: image/jpeg',
        `Content-Length: ${jpeg.length}`,
        `Authorization: ${auth.authorization}`,
        'Idempotency-Key: a',
        'Idempotency-Key: b',
      ].join('\r\n'),
      jpeg,
    );
    const r = await answer;
    socket.destroy();
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain('Header idempotency-key must be given at most once.');
  });

  it('a repeated multipart field -> 400, in either order', async () => {
    for (const order of [
      ['store-2', 'store-1'],
      ['store-1', 'store-2'],
    ]) {
      const { body, type } = multipart(
        [
          ['storeId', order[0]!],
          ['storeId', order[1]!],
          ['aisle', 'A1'],
        ],
        jpeg,
      );
      const res = await postImage(base, '/audits', body, type, auth);
      expect(res.status, res.body).toBe(400);
      expect(res.json().error.message).toContain('storeId');
    }
  });

  it('a field both in the query and in the form -> 400', async () => {
    const { body, type } = multipart(
      [
        ['storeId', 'store-1'],
        ['aisle', 'A1'],
      ],
      jpeg,
    );
    const res = await postImage(base, '/audits?aisle=Q', body, type, auth);
    expect(res.status, res.body).toBe(400);
    expect(res.json().error.message).toBe('Field aisle is given both in the query and in the form.');
  });
});

describe('text that is not valid UTF-8 is refused, not stored mangled', () => {
  it('form bytes that are not UTF-8 (decoded to U+FFFD) -> 400', async () => {
    const { body, type } = multipart(
      [
        ['storeId', 'store-1'],
        ['aisle', Buffer.from([0xff, 0xfe])],
      ],
      jpeg,
    );
    const res = await postImage(base, '/audits', body, type, auth);
    expect(res.status, res.body).toBe(400);
  });

  it.each([
    ['an encoded lone surrogate', 'aisle=%ED%A0%80'],
    ['a stray percent sign', 'aisle=50%'],
    ['a bad escape', 'aisle=%zz'],
  ])('%s in the query -> 400', async (_name, q) => {
    const res = await postImage(base, `/audits?storeId=store-1&${q}`, jpeg, 'image/jpeg', auth);
    expect(res.status, res.body).toBe(400);
    expect(res.json().error.message).toBe('The query string is not valid percent-encoded UTF-8.');
  });
});

describe('numbers in the query are decimal', () => {
  it.each(['/audits?limit=0x2', '/audits?limit=0b11', '/audits?limit=%202%20', '/audits?limit=0o7'])(
    'GET %s -> 400',
    async (path) => {
      const res = await request(`${base}${path}`, { headers: auth });
      expect(res.status, res.body).toBe(400);
      expect(res.json().error.message).toBe('querystring/limit must be a decimal number.');
    },
  );

  it.each(['conf=0x1', 'iou=Infinity', 'maxDetections=1e2%20'])('POST /predict?%s -> 400', async (q) => {
    const res = await postImage(base, `/predict?${q}`, jpeg, 'image/jpeg');
    expect(res.status, res.body).toBe(400);
  });

  it.each(['/audits?limit=2', '/audits?limit=1e1'])('GET %s is a number', async (path) => {
    const res = await request(`${base}${path}`, { headers: auth });
    expect(res.status, res.body).toBe(200);
  });
});

describe('routes without a query refuse any', () => {
  it.each(['/health/live?x=1', '/health/ready?x=1', '/metrics?x=1', '/me?x=1'])(
    'GET %s -> 400',
    async (path) => {
      const res = await request(`${base}${path}`, { headers: auth });
      expect(res.status, res.body).toBe(400);
      expect(code(res)).toBe('INVALID_REQUEST');
    },
  );

  it('GET /audits/{id}?x=1 -> 400', async () => {
    const made = await postImage(base, '/audits?storeId=store-1&aisle=A1', jpeg, 'image/jpeg', auth);
    expect(made.status, made.body).toBe(201);
    const id = made.json<{ id: string }>().id;
    expect((await request(`${base}/audits/${id}`, { headers: auth })).status).toBe(200);
    const res = await request(`${base}/audits/${id}?x=1`, { headers: auth });
    expect(res.status, res.body).toBe(400);
  });
});

describe('errors before routing have the app shape too', () => {
  it('a URL that is not UTF-8 -> 400 INVALID_REQUEST with the usual headers', async () => {
    const { socket, answer } = partialRequest(base, 'GET /audits/%c0 HTTP/1.1\r\nHost: x');
    const r = await answer;
    socket.destroy();
    expect(r.status, r.text).toBe(400);
    expect(r.text).toContain(
      '{"error":{"code":"INVALID_REQUEST","message":"The URL is not valid percent-encoded UTF-8."}}',
    );
    expect(r.text.toLowerCase()).toContain('x-request-id:');
    expect(r.text.toLowerCase()).toContain('x-content-type-options: nosniff');
  });

  it('headers too large -> 431 and a request HTTP cannot parse -> 400, both in the app shape', async () => {
    for (const [head, status] of [
      [`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}`, 431],
      ['GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked', 400],
    ] as const) {
      const { socket, answer } = partialRequest(base, head);
      const r = await answer;
      socket.destroy();
      expect(r.status, r.text).toBe(status);
      expect(r.text).toContain('{"error":{"code":"INVALID_REQUEST","message":"');
    }
  });
});

// Without job consumers (PostgreSQL: the embedded database needs this process to run the jobs) an
// asynchronous submit stays queued, so the synchronous route meets a job still pending.
describe.runIf(await usePostgres())('an Idempotency-Key taken by an asynchronous submit (PostgreSQL)', () => {
  let pgApp: FastifyInstance;
  let pgClose: () => Promise<void>;
  let pgBase: string;
  beforeAll(async () => {
    ({ app: pgApp, close: pgClose } = await buildTestAppOn('postgres', { JOB_CONSUMERS: 'false' }));
    pgBase = await listen(pgApp);
  });
  afterAll(async () => pgClose?.());

  it('a synchronous submit of another upload under it -> 409, and the job keeps its upload', async () => {
    const submit = () =>
      submitAsync(pgBase, {
        key: KEYS.store1,
        storeId: 'store-1',
        aisle: 'A1',
        image: jpeg,
        idempotencyKey: 'race-1',
      });
    const queued = await submit();
    expect(queued.status, queued.body).toBe(202);
    const sync = await postImage(
      pgBase,
      '/audits?storeId=store-1&aisle=OTHER',
      await blackPng(320, 240),
      'image/png',
      {
        ...auth,
        'idempotency-key': 'race-1',
      },
    );
    expect(sync.status, sync.body).toBe(409);
    expect(code(sync)).toBe('IDEMPOTENCY_CONFLICT');
    // The same upload again is still the queued job.
    const again = await submit();
    expect(again.status, again.body).toBe(202);
    expect(again.headers['idempotency-replayed']).toBe('true');
    expect(again.json<{ job: { id: string; status: string } }>().job).toMatchObject({
      id: queued.json<{ job: { id: string } }>().job.id,
      status: 'queued',
    });
  });
});

describe('the PWA build serves only its own files', () => {
  it.each(['/.env', '/leak.txt', '/elsewhere/secret.txt'])('GET %s -> 404', async (path) => {
    const res = await request(`${base}${path}`);
    expect(res.status, res.body).toBe(404);
    expect(res.body).not.toContain('SECRET');
    expect(res.body).not.toContain('not part of the build');
  });

  it('its files are served', async () => {
    expect((await request(`${base}/assets/app.js`)).status).toBe(200);
    expect((await request(`${base}/`)).body).toContain('ShelfWatch');
  });
});
