import type { AddressInfo } from 'node:net';
import { PIPELINE_STAGES } from '@shelfwatch/shared';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { needSharedPhotos, pngDeclaring, sharedPhoto, shelfJpeg } from '../helpers/images.js';

type Box = [number, number, number, number];
interface Prediction {
  image: { width: number; height: number };
  count: number;
  detections: { box: Box; score: number; label: string; row: number }[];
  shelf: { rows: { box: Box; line: [[number, number], [number, number]]; count: number; gaps: Box[] }[] };
  timingsMs: Record<string, number>;
  model: { name: string; version: string };
}

let app: FastifyInstance;
let close: () => Promise<void>;
let shelf: Buffer;

let base: string;

// A real listening server: the corpus goes through sockets, body limits and the parsers as a phone's would.
beforeAll(async () => {
  ({ app, close } = await buildTestApp());
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  shelf = await shelfJpeg();
});
afterAll(async () => close?.());

interface Reply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json<T = { error: { code: string; message: string } }>(): T;
}

async function post(
  payload: Buffer | string,
  contentType?: string,
  url = '/predict',
  extra: Record<string, string> = {},
): Promise<Reply> {
  // A Buffer body, so that fetch adds no content type of its own.
  const res = await fetch(`${base}${url}`, {
    method: 'POST',
    body: Buffer.from(payload),
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...extra },
  });
  const body = await res.text();
  return {
    statusCode: res.status,
    headers: Object.fromEntries(res.headers),
    body,
    json: <T>() => JSON.parse(body) as T,
  };
}

function multipart(parts: { name: string; filename?: string; type?: string; data: Buffer | string }[]) {
  const boundary = '----shelfwatch-test-boundary';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}`;
    const type = p.type ? `\r\nContent-Type: ${p.type}` : '';
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`),
      Buffer.from(p.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

describe('POST /predict', () => {
  it('answers the API contract (docs/API.md) for a JPEG body', async () => {
    const res = await post(shelf, 'image/jpeg');
    expect(res.statusCode).toBe(200);
    const body = res.json<Prediction>();
    expect(body.image).toEqual({ width: 1200, height: 900 });
    expect(body.model.name).toBeTruthy();
    expect(body.count).toBe(body.detections.length);
    expect(body.count).toBeGreaterThan(10);
    expect(body.shelf.rows.reduce((n, r) => n + r.count, 0)).toBe(body.count);
    for (const d of body.detections) {
      expect(d.label).toBe('product');
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[2]).toBeLessThanOrEqual(1200);
      expect(d.box[3]).toBeLessThanOrEqual(900);
    }
    // The shared pipeline's stages, in order, each once.
    expect(Object.keys(body.timingsMs)).toEqual([...PIPELINE_STAGES, 'total']);
    for (const v of Object.values(body.timingsMs)) expect(v).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('gives each detection its row and each row its line', async () => {
    const body = (await post(shelf, 'image/jpeg')).json<Prediction>();
    const { rows } = body.shelf;
    expect(rows.length).toBeGreaterThan(0);
    rows.forEach((row, i) => {
      const members = body.detections.filter((d) => d.row === i);
      expect(members.length).toBe(row.count);
      // The line runs from the row's left-most to its right-most product, inside the image.
      const [[x1, y1], [x2, y2]] = row.line;
      expect(x1).toBe(row.box[0]);
      expect(x2).toBe(row.box[2]);
      for (const y of [y1, y2]) expect(y).toBeGreaterThan(row.box[1]);
    });
    for (const d of body.detections) expect(Number.isInteger(d.row) && d.row < rows.length).toBe(true);
  });

  it('accepts multipart with field "image" and gives the same detections', async () => {
    const raw = (await post(shelf, 'image/jpeg')).json<Prediction>();
    const { payload, contentType } = multipart([
      { name: 'image', filename: 'shelf.jpg', type: 'image/jpeg', data: shelf },
    ]);
    const res = await post(payload, contentType);
    expect(res.statusCode).toBe(200);
    expect(res.json<Prediction>().detections).toEqual(raw.detections);
  });

  it('applies conf and maxDetections, and rejects out-of-range thresholds with 400', async () => {
    const res = await post(shelf, 'image/jpeg', '/predict?conf=0.5&maxDetections=3');
    expect(res.statusCode).toBe(200);
    const body = res.json<Prediction>();
    expect(body.count).toBeLessThanOrEqual(3);
    for (const d of body.detections) expect(d.score).toBeGreaterThanOrEqual(0.5);
    for (const q of ['conf=2', 'iou=-1', 'maxDetections=abc']) {
      const bad = await post(shelf, 'image/jpeg', `/predict?${q}`);
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json().error.code).toBe('INVALID_REQUEST');
    }
  });

  it('compresses JSON for clients that accept it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/predict',
      payload: shelf,
      headers: { 'content-type': 'image/jpeg', 'accept-encoding': 'br, gzip' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    // fetch decodes transparently: the JSON is intact.
    expect(
      (await post(shelf, 'image/jpeg', '/predict', { 'accept-encoding': 'gzip' })).json<Prediction>().count,
    ).toBeGreaterThan(0);
  });

  it('returns boxes in the EXIF-upright frame: a rotated-with-EXIF photo matches the upright one', async () => {
    const upright = await shelfJpeg(960, 720);
    // Stored pixels turned 90° counter-clockwise + orientation 6 ("rotate 90° clockwise to display").
    const stored = await sharp(upright)
      .rotate(-90)
      .jpeg({ quality: 92 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(stored).metadata()).width).toBe(720);
    const a = (await post(upright, 'image/jpeg')).json<Prediction>();
    const res = await post(stored, 'image/jpeg');
    expect(res.statusCode).toBe(200);
    const b = res.json<Prediction>();
    expect(b.image).toEqual({ width: 960, height: 720 });
    expect(a.count).toBeGreaterThan(10);
    // Resampling differs a little between the two decodes: most boxes must match closely.
    const matched = a.detections.filter((d) => b.detections.some((e) => iou(d.box, e.box) > 0.8)).length;
    expect(matched / a.count).toBeGreaterThan(0.85);
    expect(Math.abs(a.count - b.count)).toBeLessThanOrEqual(Math.max(2, a.count * 0.1));
    // Without EXIF the same stored pixels are portrait: boxes would not match the upright frame.
    const plain = (
      await post(await sharp(stored).rotate(0).jpeg().toBuffer(), 'image/jpeg')
    ).json<Prediction>();
    expect(plain.image).toEqual({ width: 720, height: 960 });
  });

  it.runIf(needSharedPhotos())('handles a real multi-megapixel shelf photo (../shared/data)', async () => {
    const res = await post(sharedPhoto(0), 'image/jpeg');
    expect(res.statusCode).toBe(200);
    const body = res.json<Prediction>();
    expect(body.image.width * body.image.height).toBeGreaterThan(1_000_000);
    expect(body.count).toBeGreaterThan(20);
  });
});

describe('bad-input corpus: every case a 4xx with a catalogue code, never a 5xx', () => {
  type Case = {
    name: string;
    make: () => Promise<{ payload: Buffer | string; contentType?: string }>;
    status: number;
    code?: string;
  };
  const cases: Case[] = [
    {
      name: 'empty body, no content type',
      make: async () => ({ payload: '' }),
      status: 400,
      code: 'EMPTY_BODY',
    },
    {
      name: 'zero-byte JPEG',
      make: async () => ({ payload: Buffer.alloc(0), contentType: 'image/jpeg' }),
      status: 400,
      code: 'EMPTY_BODY',
    },
    {
      name: 'truncated JPEG',
      make: async () => {
        const full = await shelfJpeg();
        return { payload: full.subarray(0, Math.floor(full.length * 0.6)), contentType: 'image/jpeg' };
      },
      status: 422,
      code: 'UNDECODABLE_IMAGE',
    },
    {
      name: 'text posing as JPEG (refused by its magic bytes)',
      make: async () => ({
        payload: 'this is not a photo of a shelf\n'.repeat(20),
        contentType: 'image/jpeg',
      }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'JPEG magic bytes followed by garbage',
      make: async () => ({
        payload: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 0x41)]),
        contentType: 'image/jpeg',
      }),
      status: 422,
      code: 'UNDECODABLE_IMAGE',
    },
    {
      name: 'wrong content type (text/plain)',
      make: async () => ({ payload: await shelfJpeg(), contentType: 'text/plain' }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'wrong content type (application/octet-stream)',
      make: async () => ({ payload: await shelfJpeg(), contentType: 'application/octet-stream' }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'JSON body',
      make: async () => ({ payload: '{"image":"abc"}', contentType: 'application/json' }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'GIF sent as image/jpeg (unsupported format)',
      make: async () => ({
        payload: await sharp({ create: { width: 32, height: 32, channels: 3, background: '#f00' } })
          .gif()
          .toBuffer(),
        contentType: 'image/jpeg',
      }),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'SVG sent as image/png (never rendered)',
      make: async () => ({
        payload: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        contentType: 'image/png',
      }),
      status: 415,
    },
    {
      name: 'PNG declaring 30000x30000 pixels (decompression bomb)',
      make: async () => ({ payload: pngDeclaring(30_000, 30_000), contentType: 'image/png' }),
      status: 413,
      code: 'IMAGE_TOO_MANY_PIXELS',
    },
    {
      name: 'multipart without any part',
      make: async () => ({
        payload: '------b--\r\n',
        contentType: 'multipart/form-data; boundary=----b',
      }),
      status: 400,
      code: 'EMPTY_BODY',
    },
    {
      name: 'multipart with a text field /predict does not take',
      make: async () =>
        multipart([
          { name: 'note', data: 'no such field here' },
          { name: 'image', filename: 'a.jpg', type: 'image/jpeg', data: shelf },
        ]),
      status: 400,
      code: 'INVALID_REQUEST',
    },
    {
      name: 'multipart with the photo under another field name',
      make: async () => multipart([{ name: 'photo', filename: 'a.jpg', type: 'image/jpeg', data: shelf }]),
      status: 400,
      code: 'EMPTY_BODY',
    },
    {
      name: 'multipart with a broken boundary',
      make: async () => ({ payload: 'garbage', contentType: 'multipart/form-data; boundary=xyz' }),
      status: 400,
    },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${c.status}`, async () => {
      const { payload, contentType } = await c.make();
      const res = await post(payload, contentType);
      expect(res.statusCode).toBe(c.status);
      const body = res.json();
      expect(typeof body.error.message).toBe('string');
      if (c.code) expect(body.error.code).toBe(c.code);
    });
  }

  it('60 MB body -> 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await post(Buffer.alloc(60 * 1024 * 1024, 0xff), 'image/jpeg');
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  // Unusual but valid encodings are converted, not refused.
  const valid: { name: string; make: () => Promise<Buffer>; type: string }[] = [
    {
      name: 'CMYK JPEG',
      type: 'image/jpeg',
      make: async () => sharp(shelf).toColourspace('cmyk').jpeg().toBuffer(),
    },
    {
      name: '16-bit PNG',
      type: 'image/png',
      make: async () => sharp(shelf).toColourspace('rgb16').png().toBuffer(),
    },
    {
      name: 'greyscale JPEG',
      type: 'image/jpeg',
      make: async () => sharp(shelf).greyscale().jpeg().toBuffer(),
    },
    {
      name: 'PNG with alpha',
      type: 'image/png',
      make: async () => sharp(shelf).ensureAlpha(0.5).png().toBuffer(),
    },
    {
      name: 'animated WebP (first frame used)',
      type: 'image/webp',
      make: async () => {
        const frame2 = await sharp(shelf).negate().jpeg().toBuffer();
        return sharp([shelf, frame2], { join: { animated: true } })
          .webp({ loop: 0, delay: [100, 100] })
          .toBuffer();
      },
    },
  ];
  for (const v of valid) {
    it(`${v.name} -> 200`, async () => {
      const payload = await v.make();
      const res = await post(payload, v.type);
      expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
      expect(res.json<Prediction>().image).toEqual({ width: 1200, height: 900 });
    });
  }

  it('the animated WebP really has several frames', async () => {
    const frame2 = await sharp(shelf).negate().jpeg().toBuffer();
    const webp = await sharp([shelf, frame2], { join: { animated: true } })
      .webp()
      .toBuffer();
    expect((await sharp(webp).metadata()).pages).toBe(2);
  });

  it('the server is still healthy and answering after the corpus', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await post(shelf, 'image/jpeg')).statusCode).toBe(200);
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/shelfwatch_request_errors_total\{code="UNDECODABLE_IMAGE"\} [1-9]/);
    expect(metrics).not.toMatch(/shelfwatch_request_errors_total\{code="INTERNAL"\}/);
  });
});
