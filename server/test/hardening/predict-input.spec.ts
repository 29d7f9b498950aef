import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { listen, partialRequest, postImage, request } from '../helpers/http.js';
import { blackPng, exifLoopJpeg, pngDeclaring, shelfJpeg } from '../helpers/images.js';

// Issue 9, items 1, 2, 3, 5, 8 and the magic-byte sniffing of 9, against a listening server.
const QUEUE_SIZE = 4;
let app: FastifyInstance;
let close: () => Promise<void>;
let base: string;
let photo: Buffer;

beforeAll(async () => {
  ({ app, close } = await buildTestApp({ WORKERS: '1', QUEUE_SIZE: String(QUEUE_SIZE) }));
  base = await listen(app);
  photo = await shelfJpeg(480, 360);
});
afterAll(async () => close?.());

const predict = (body: Buffer | string, type = 'image/jpeg', query = '') =>
  postImage(base, `/predict${query}`, body, type);
const busyWorkers = async () => (await app.metrics.workersBusy.get()).values[0]?.value ?? 0;

describe('1. request data never reaches the worker beyond the three thresholds', () => {
  it.each([
    'release=1&barrier=1',
    'release=true',
    'image=/etc/hostname',
    'image=/dev/zero',
    '__proto__[release]=1',
    'conf=0.5&workers=4',
    'unknown',
  ])('?%s -> 400 INVALID_REQUEST', async (query) => {
    const res = await predict(photo, 'image/jpeg', `?${query}`);
    expect(res.status, res.body).toBe(400);
    expect(res.json().error.code).toBe('INVALID_REQUEST');
    expect(res.json().error.message).toMatch(/^querystring has an unknown key '/);
  });

  it('after repeated release attempts every worker still serves and readiness is 200', async () => {
    for (let i = 0; i < 4; i++)
      expect((await predict(photo, 'image/jpeg', '?release=1&barrier=1')).status).toBe(400);
    const ok = await predict(photo);
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json<{ count: number }>().count).toBeGreaterThan(0);
    expect((await request(`${base}/health/ready`)).status).toBe(200);
  });
});

describe('5. non-finite thresholds are a 400, not a 503', () => {
  it.each(['conf=1e309', 'conf=Infinity', 'conf=-Infinity', 'iou=1e309', 'maxDetections=1e309', 'conf=NaN'])(
    '?%s -> 400',
    async (query) => {
      const res = await predict(photo, 'image/jpeg', `?${query}`);
      expect(res.status, res.body).toBe(400);
      expect(res.json().error.code).toBe('INVALID_REQUEST');
    },
  );

  it('finite thresholds in range still work', async () => {
    const res = await predict(photo, 'image/jpeg', '?conf=0.5&iou=0.5&maxDetections=5');
    expect(res.status, res.body).toBe(200);
    expect(res.json<{ count: number }>().count).toBeLessThanOrEqual(5);
  });
});

describe('2. small images that would cost seconds are refused up front', () => {
  // The decode deadline (2 s by default) is the answer's bound; the header checks answer in ms.
  const deadlineMs = 2_000 + 1_000;

  it('a JPEG whose EXIF IFDs loop -> 422 IMAGE_TOO_COMPLEX within the deadline', async () => {
    const jpeg = await exifLoopJpeg(5_000);
    const res = await predict(jpeg);
    console.info(`looping-EXIF JPEG (${jpeg.length} bytes): ${res.status} in ${res.ms.toFixed(0)} ms`);
    expect(res.status, res.body).toBe(422);
    expect(res.json().error.code).toBe('IMAGE_TOO_COMPLEX');
    expect(res.ms).toBeLessThan(deadlineMs);
  });

  it('5 x 10,000,000 and 10,000,000 x 5 PNGs -> 413 before decoding', async () => {
    for (const [w, h] of [
      [5, 10_000_000],
      [10_000_000, 5],
    ] as const) {
      const res = await predict(pngDeclaring(w, h), 'image/png');
      expect(res.status, res.body).toBe(413);
      expect(res.json().error.code).toBe('IMAGE_TOO_MANY_PIXELS');
      expect(res.ms).toBeLessThan(deadlineMs);
    }
  });

  it('an extreme aspect ratio within the pixel limit -> 422 IMAGE_TOO_COMPLEX', async () => {
    const res = await predict(pngDeclaring(40_000, 200), 'image/png');
    expect(res.status, res.body).toBe(422);
    expect(res.json().error.code).toBe('IMAGE_TOO_COMPLEX');
  });

  it('four attack images in flight do not starve a normal photo', async () => {
    const loop = await exifLoopJpeg(5_000);
    const attacks = [loop, loop, pngDeclaring(5, 10_000_000), pngDeclaring(40_000, 200)];
    const [normal, ...refused] = await Promise.all([
      predict(photo),
      ...attacks.map((a, i) => predict(a, i < 2 ? 'image/jpeg' : 'image/png')),
    ]);
    expect(refused.map((r) => r.status)).toEqual([422, 422, 413, 422]);
    expect(normal!.status).toBe(200);
  });
});

describe('8. memory per task is bounded', () => {
  it('an image over the default MAX_PIXELS (16.7 MP) -> 413, so a decode needs at most ~11 B/px x 16.7 MP', async () => {
    const res = await predict(pngDeclaring(5000, 4000), 'image/png');
    expect(res.status, res.body).toBe(413);
    expect(res.json().error.message).toContain('16777216');
  });

  it('queue admission happens before the body is read: a full queue is 503 while uploads are still unsent', async () => {
    // WORKERS (1) + QUEUE_SIZE uploads that send their headers and 10 bytes, then stall.
    const stalled = Array.from({ length: 1 + QUEUE_SIZE }, () =>
      partialRequest(
        base,
        'POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\nContent-Length: 500000',
        Buffer.alloc(10, 0xff),
        30_000,
      ),
    );
    try {
      // An empty body takes a slot only for a moment (400 EMPTY_BODY); once all are held it is a 503.
      await expect.poll(async () => (await predict(Buffer.alloc(0))).status, { timeout: 5_000 }).toBe(503);
      const refused = await predict(photo);
      expect(refused.status, refused.body).toBe(503);
      expect(refused.json().error.code).toBe('QUEUE_FULL');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
    // Aborted uploads give their slots back.
    await expect.poll(async () => (await predict(photo)).status, { timeout: 10_000 }).toBe(200);
  });
});

describe('3. bodies a route does not take are refused before they are read', () => {
  it.each([
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
  ])('a 19 MB %s body -> 415 while the body is still unsent', async (type) => {
    const { socket, answer } = partialRequest(
      base,
      `POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: ${type}\r\nContent-Length: 19000000`,
      '{"image":"',
    );
    try {
      const { status, text } = await answer;
      expect(status, text).toBe(415);
      expect(text).toContain('UNSUPPORTED_MEDIA_TYPE');
    } finally {
      socket.destroy();
    }
  });

  it('an image body declared larger than MAX_BODY_BYTES -> 413 while still unsent', async () => {
    const { socket, answer } = partialRequest(
      base,
      `POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: image/jpeg\r\nContent-Length: ${17 * 1024 * 1024}`,
      Buffer.from([0xff, 0xd8, 0xff]),
    );
    try {
      const { status } = await answer;
      expect(status).toBe(413);
    } finally {
      socket.destroy();
    }
  });

  it('the event loop stays responsive: /health/live answers while such bodies are sent', async () => {
    const json = Buffer.alloc(19_000_000, 0x20);
    const pending = Promise.all([
      postImage(base, '/predict', json, 'application/json').catch(() => null),
      postImage(base, '/predict', json, 'application/json').catch(() => null),
    ]);
    const live = await request(`${base}/health/live`);
    expect(live.status).toBe(200);
    for (const r of await pending) if (r) expect(r.status).toBe(415);
  });
});

describe('9. formats other than JPEG, PNG and WebP are refused by their magic bytes, never parsed', () => {
  const others = async () => ({
    gif: await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } })
      .gif()
      .toBuffer(),
    tiff: await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } })
      .tiff()
      .toBuffer(),
    svg: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
  });

  it('GIF, TIFF and SVG are 415 at once, while the only worker is still busy with queued photos', async () => {
    const { gif, tiff, svg } = await others();
    const big = await shelfJpeg(2400, 1800);
    let finished = 0;
    const slow = Array.from({ length: QUEUE_SIZE }, () =>
      predict(big).then((r) => {
        finished++;
        return r;
      }),
    );
    await expect.poll(busyWorkers, { timeout: 10_000, interval: 5 }).toBe(1);
    for (const [name, bytes, type] of [
      ['gif', gif, 'image/jpeg'],
      ['tiff', tiff, 'image/png'],
      ['svg', svg, 'image/webp'],
    ] as const) {
      const res = await predict(bytes, type);
      expect(res.status, name).toBe(415);
      expect(res.json().error.message, name).toMatch(/not a JPEG, PNG or WebP file/);
    }
    // Refused without waiting for the queue: the photos ahead of them were not all done yet.
    expect(finished).toBeLessThan(QUEUE_SIZE);
    for (const r of await Promise.all(slow)) expect(r.status).toBe(200);
  });
});

describe('2. every decode has a deadline (DECODE_TIMEOUT_SECONDS)', () => {
  // The header checks are relaxed here so that the decode itself is what runs long: a 1 x 30,000,000
  // PNG (~120 KB) takes libvips about 5 s here (its cost is per row).
  let slow: Awaited<ReturnType<typeof buildTestApp>>;
  let slowBase: string;
  beforeAll(async () => {
    slow = await buildTestApp({
      WORKERS: '1',
      MAX_PIXELS: '40000000',
      MAX_ASPECT_RATIO: '100000000',
      DECODE_TIMEOUT_SECONDS: '1',
    });
    slowBase = await listen(slow.app);
  });
  afterAll(async () => slow?.close());

  it('a decode past its deadline -> 422 IMAGE_TOO_COMPLEX, answered soon after the deadline', async () => {
    const png = await blackPng(1, 30_000_000);
    const res = await postImage(slowBase, '/predict', png, 'image/png');
    console.info(`1 x 30,000,000 PNG (${png.length} bytes): ${res.status} in ${res.ms.toFixed(0)} ms`);
    expect(res.status, res.body).toBe(422);
    expect(res.json().error.code).toBe('IMAGE_TOO_COMPLEX');
    expect(res.json().error.message).toMatch(/did not decode within 1 s/);
    expect(res.ms).toBeLessThan(1_000 + 3_000);
    // The worker is free again at once.
    expect((await postImage(slowBase, '/predict', photo, 'image/jpeg')).status).toBe(200);
  });
});
