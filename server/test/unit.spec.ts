import { readFileSync } from 'node:fs';
import { readOnnxInt8WeightRange, readOnnxMetadataProps } from '@shelfwatch/shared';
import { PNG_SIGNATURE, pngChunk, rgbIhdr } from '@shelfwatch/test-utils';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ApiKeyRing, DEV_API_KEY, mayAccessStore, sha256Hex } from '../src/auth/api-keys.js';
import { FailureThrottle } from '../src/auth/failure-throttle.js';
import { loadConfig, parseTrustProxy } from '../src/config.js';
import { prefersRespondAsync } from '../src/http/prefer.js';
import { checkExif, inspectImage, readImageHeader, sniffImageFormat } from '../src/inference/image-checks.js';
import {
  cpuAccumulatesInt8Exactly,
  int8SaturationWarning,
  readModelInt8Weights,
  resolveModelPath,
} from '../src/inference/model-files.js';
import { imageContentType } from '../src/photos/photo-store.js';
import { causeChain } from '../src/plugins/app/error-handler.js';
import { exifLoopJpeg } from './helpers/images.js';

describe('readOnnxMetadataProps', () => {
  it('reads the shipped model metadata (names, imgsz)', async () => {
    const config = loadConfig({});
    const { path } = await resolveModelPath(config);
    const props = readOnnxMetadataProps(readFileSync(path));
    expect(props.names).toMatch(/product/);
    expect(props.imgsz).toMatch(/\d+/);
  });

  it('rejects bytes that are not a protobuf message', () => {
    expect(() => readOnnxMetadataProps(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow(RangeError);
  });
});

/** Protobuf bytes: a varint, a field of either wire type, a message of fields. */
const varint = (v: number): number[] => {
  const out: number[] = [];
  let n = BigInt.asUintN(64, BigInt(v));
  do {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
};
const field = (f: number, v: number | number[]): number[] =>
  typeof v === 'number'
    ? [...varint(f * 8), ...varint(v)]
    : [...varint(f * 8 + 2), ...varint(v.length), ...v];
/** A model whose graph holds one initializer: `dims`, `dataType` (3 = INT8), int8 `raw` bytes or packed `int32` values. */
const modelWith = (dims: number[], dataType: number, data: { raw?: number[]; int32?: number[] }) => {
  const tensor = [
    ...field(1, dims.flatMap(varint)),
    ...field(2, dataType),
    ...(data.int32 ? field(5, data.int32.flatMap(varint)) : []),
    ...field(8, [...Buffer.from('w')]),
    ...(data.raw
      ? field(
          9,
          data.raw.map((v) => v & 0xff),
        )
      : []),
  ];
  return Uint8Array.from([...field(1, 8), ...field(7, field(5, tensor))]);
};

describe('int8 weight range and the saturation warning', () => {
  it('reads the range of an INT8 file: the shipped one lies on 7 bits, its FP32 twin has none', async () => {
    const { path } = await resolveModelPath(loadConfig({}));
    const model = { path, int8Weights: await readModelInt8Weights(path) };
    expect(model.int8Weights).toEqual([-64, 63]);
    expect(readOnnxInt8WeightRange(readFileSync(path.replace('.int8.', '.fp32.')))).toBeNull();
    expect(int8SaturationWarning(model, false)).toBeNull();
  });

  it('reads raw and packed int32 data, and only int8 tensors of two or more dimensions', () => {
    expect(readOnnxInt8WeightRange(modelWith([3, 1], 3, { raw: [-128, 5, 127] }))).toEqual([-128, 127]);
    expect(readOnnxInt8WeightRange(modelWith([2, 1], 3, { int32: [-100, 7] }))).toEqual([-100, 7]);
    expect(readOnnxInt8WeightRange(modelWith([3], 3, { raw: [-128, 5, 127] }))).toBeNull();
    expect(readOnnxInt8WeightRange(modelWith([3, 1], 2, { raw: [200, 5, 127] }))).toBeNull();
    expect(() => readOnnxInt8WeightRange(modelWith([3, 1], 3, { raw: [1, 2, 3] }).subarray(0, 12))).toThrow(
      RangeError,
    );
  });

  it('warns for full-range weights where the CPU may saturate, and says what to do', () => {
    const full = { path: 'm.int8.onnx', int8Weights: [-128, 127] as [number, number] };
    expect(int8SaturationWarning(full, false)).toMatch(
      /m\.int8\.onnx has int8 weights from -128 to 127; on this CPU \(x86 without VNNI\).*7-bit weights/,
    );
    expect(int8SaturationWarning(full, null)).toMatch(/on an x86 CPU without VNNI/);
    expect(int8SaturationWarning(full, true)).toBeNull();
    expect(int8SaturationWarning({ ...full, int8Weights: [-64, 64] }, false)).toBeNull();
    expect(int8SaturationWarning({ ...full, int8Weights: null }, false)).toBeNull();
  });

  it('tells VNNI from its absence in /proc/cpuinfo, and trusts other architectures', () => {
    const cpu = (flags: string) => `processor\t: 0\nflags\t\t: fpu sse2 ${flags}\nbugs\t\t:\n`;
    expect(cpuAccumulatesInt8Exactly(cpu('avx2 fma'), 'x64')).toBe(false);
    expect(cpuAccumulatesInt8Exactly(cpu('avx2 avx512f avx512_vnni'), 'x64')).toBe(true);
    expect(cpuAccumulatesInt8Exactly(cpu('avx2 avx_vnni'), 'x64')).toBe(true);
    expect(cpuAccumulatesInt8Exactly(null, 'x64')).toBeNull();
    expect(cpuAccumulatesInt8Exactly(null, 'arm64')).toBe(true);
  });
});

describe('API keys', () => {
  it('uses the development key only in development mode with API_KEYS unset', () => {
    expect(() => ApiKeyRing.fromEnv('', { devMode: false })).toThrow(/API_KEYS is required/);
    const { ring, development } = ApiKeyRing.fromEnv('', { devMode: true });
    expect(development).toBe(true);
    expect(ring.verify(DEV_API_KEY)).toEqual({ name: 'dev', stores: ['demo-store'] });
    expect(ring.verify('dev-key ')).toBeNull();
  });

  it('matches hashed keys, and "*" means every store', () => {
    const { ring } = ApiKeyRing.fromEnv(
      JSON.stringify([
        { name: 'a', sha256: sha256Hex('secret-a'), stores: ['s1'] },
        { name: 'hq', sha256: sha256Hex('secret-hq').toUpperCase(), stores: ['*'] },
      ]),
      { devMode: false },
    );
    const a = ring.verify('secret-a')!;
    expect(a.name).toBe('a');
    expect(mayAccessStore(a, 's1')).toBe(true);
    expect(mayAccessStore(a, 's2')).toBe(false);
    expect(mayAccessStore(ring.verify('secret-hq')!, 'anything')).toBe(true);
    expect(ring.verify('secret-b')).toBeNull();
  });

  it('refuses malformed API_KEYS with a message naming the problem', () => {
    const prod = { devMode: false };
    expect(() => ApiKeyRing.fromEnv('{not json', prod)).toThrow(/not valid JSON/);
    expect(() => ApiKeyRing.fromEnv('[{"name":"x","sha256":"abc","stores":["s"]}]', prod)).toThrow(/sha256/);
    expect(() => ApiKeyRing.fromEnv(`[{"name":"x","sha256":"${sha256Hex('k')}","stores":[]}]`, prod)).toThrow(
      /stores/,
    );
  });
});

describe('loadConfig', () => {
  it('has laptop defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ HOST: '0.0.0.0', PORT: 8080, INTRA_OP_THREADS: 1, DATABASE_URL: '' });
    expect(c.WORKERS_RESOLVED).toBeGreaterThanOrEqual(1);
    expect(c.DATA_DIR_RESOLVED).toMatch(/\.data[/\\]pglite$/);
  });

  it('coerces and validates numbers', () => {
    expect(loadConfig({ PORT: '9000', WORKERS: '3' })).toMatchObject({ PORT: 9000, WORKERS_RESOLVED: 3 });
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ INTRA_OP_THREADS: '0' })).toThrow(/INTRA_OP_THREADS/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
  });
});

describe('asynchronous audit settings', () => {
  it('defaults: jobs in-process, as many at a time as workers, photos in PostgreSQL for 90 days', () => {
    const c = loadConfig({ WORKERS: '3' });
    expect(c).toMatchObject({
      JOB_CONSUMERS: true,
      JOB_CONCURRENCY_RESOLVED: 3,
      JOB_MAX_ATTEMPTS: 4,
      ASYNC_UPLOAD_SLOTS: 32,
      JOB_QUEUE_LIMIT: 10_000,
      JOB_SCHEMA: 'pgboss',
      PHOTO_STORE: 'postgres',
      PHOTO_RETENTION_DAYS: 90,
    });
    expect(loadConfig({ JOB_CONCURRENCY: '5' }).JOB_CONCURRENCY_RESOLVED).toBe(5);
  });

  it('refuses S3 without a bucket, jobs nobody runs, a heartbeat pg-boss cannot keep, an odd schema name', () => {
    expect(() => loadConfig({ PHOTO_STORE: 's3' })).toThrow(/S3_BUCKET/);
    // with embedded PGlite nothing else could run the jobs
    expect(() => loadConfig({ JOB_CONSUMERS: 'false' })).toThrow(/JOB_CONSUMERS=false needs DATABASE_URL/);
    expect(loadConfig({ JOB_CONSUMERS: 'false', DATABASE_URL: 'postgres://db/x' }).JOB_CONSUMERS).toBe(false);
    expect(loadConfig({ PHOTO_STORE: 's3', S3_BUCKET: 'b' }).PHOTO_STORE).toBe('s3');
    expect(() => loadConfig({ PHOTO_STORE: 'disk' })).toThrow(/PHOTO_STORE/);
    expect(() => loadConfig({ JOB_HEARTBEAT_SECONDS: '5' })).toThrow(/JOB_HEARTBEAT_SECONDS/);
    expect(() => loadConfig({ JOB_SCHEMA: 'pg boss; drop' })).toThrow(/JOB_SCHEMA/);
    expect(() => loadConfig({ JOB_MAX_ATTEMPTS: '0' })).toThrow(/JOB_MAX_ATTEMPTS/);
  });

  it('reads respond-async among the preferences of a Prefer header (RFC 7240)', () => {
    for (const yes of [
      'respond-async',
      'Respond-Async',
      'wait=10, respond-async',
      'respond-async; x=1',
      ' respond-async ',
    ])
      expect(prefersRespondAsync(yes), yes).toBe(true);
    for (const no of [
      undefined,
      '',
      'wait=10',
      'return=minimal',
      'respond-asynchronously',
      'x=respond-async',
    ])
      expect(prefersRespondAsync(no), String(no)).toBe(false);
  });

  it('serves kept photos with the type their magic bytes name', async () => {
    const img = sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } });
    expect(imageContentType(await img.clone().jpeg().toBuffer())).toBe('image/jpeg');
    expect(imageContentType(await img.clone().png().toBuffer())).toBe('image/png');
    expect(imageContentType(await img.clone().webp().toBuffer())).toBe('image/webp');
    expect(imageContentType(Buffer.from('GIF89a....'))).toBe('application/octet-stream');
  });
});

describe('security settings', () => {
  it('has hardened defaults: no dev key, bounded images, no trusted proxy', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      DEV_MODE: false,
      MAX_PIXELS: 16_777_216,
      MAX_BODY_BYTES: 16 * 1024 * 1024,
      MAX_ASPECT_RATIO: 20,
      DECODE_TIMEOUT_SECONDS: 2,
      TRUST_PROXY_RESOLVED: false,
    });
  });

  it('refuses DEV_MODE together with NODE_ENV=production', () => {
    expect(() => loadConfig({ DEV_MODE: 'true', NODE_ENV: 'production' })).toThrow(/DEV_MODE/);
    expect(loadConfig({ DEV_MODE: 'true' }).DEV_MODE).toBe(true);
  });

  it('TRUST_PROXY takes a hop count or addresses, never true', () => {
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('10.0.0.0/8, 127.0.0.1,::1,loopback')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'loopback',
    ]);
    expect(() => parseTrustProxy('true')).toThrow(/TRUST_PROXY=true/);
    expect(() => parseTrustProxy('0')).toThrow(/hop count/);
    expect(() => parseTrustProxy('10.0.0.0/33')).toThrow(/not an IP/);
    expect(() => parseTrustProxy('ingress.local')).toThrow(/not an IP/);
    expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
  });
});

describe('image checks on raw bytes', () => {
  const limits = { maxPixels: 16_777_216, maxAspectRatio: 20 };
  const make = (format: 'jpeg' | 'png' | 'webp', width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#345' } })
      .toFormat(format)
      .toBuffer();

  it.each(['jpeg', 'png', 'webp'] as const)(
    'reads the declared size of a %s without decoding',
    async (format) => {
      const header = readImageHeader(await make(format, 321, 123));
      expect(header).toMatchObject({ format, width: 321, height: 123 });
    },
  );

  it('reads the canvas of a WebP with alpha (VP8X) and a lossless one (VP8L)', async () => {
    const alpha = await sharp({ create: { width: 99, height: 51, channels: 4, background: '#3458' } })
      .webp()
      .toBuffer();
    expect(readImageHeader(alpha)).toMatchObject({ width: 99, height: 51 });
    const lossless = await sharp({ create: { width: 77, height: 33, channels: 3, background: '#345' } })
      .webp({ lossless: true })
      .toBuffer();
    expect(readImageHeader(lossless)).toMatchObject({ width: 77, height: 33 });
  });

  it('sniffs only JPEG, PNG and WebP', async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } })
      .gif()
      .toBuffer();
    const tiff = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } })
      .tiff()
      .toBuffer();
    for (const bytes of [
      gif,
      tiff,
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      Buffer.alloc(0),
    ]) {
      expect(sniffImageFormat(bytes)).toBeNull();
      expect(() => inspectImage(bytes, limits)).toThrow(/not a JPEG, PNG or WebP file/);
    }
  });

  it('refuses too many pixels (413) and extreme aspect ratios (422) from the header alone', () => {
    expect(() => inspectImage(pngHeaderOnly(5, 10_000_000), limits)).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_MANY_PIXELS' }),
    );
    expect(() => inspectImage(pngHeaderOnly(21_000, 1000), { ...limits, maxPixels: 1e9 })).toThrow(
      expect.objectContaining({ code: 'IMAGE_TOO_COMPLEX' }),
    );
    expect(inspectImage(pngHeaderOnly(4000, 3000), limits)).toMatchObject({ width: 4000, height: 3000 });
  });

  it('refuses an EXIF whose IFDs point at themselves, keeps real EXIF', async () => {
    const looping = await exifLoopJpeg(3);
    expect(() => inspectImage(looping, limits)).toThrow(/referenced twice/);
    const camera = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#345' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'Phone', Model: 'X', Software: 'cam' }, IFD2: { ExposureTime: '1/50' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const header = inspectImage(camera, limits);
    expect(header.exif).toHaveLength(1);
    expect(() => checkExif(header.exif[0]!)).not.toThrow();
  });
});

/** A PNG signature + IHDR only (the walk needs nothing more). */
function pngHeaderOnly(width: number, height: number): Buffer {
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', rgbIhdr(width, height))]);
}

describe('FailureThrottle', () => {
  it('blocks a client past max failures until its window ends, whatever it sends', () => {
    const t = new FailureThrottle(3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(t.blockedFor('a', 1_000)).toBe(0);
      t.recordFailure('a', 1_000);
    }
    expect(t.blockedFor('a', 2_000)).toBe(59_000);
    expect(t.blockedFor('b', 2_000)).toBe(0);
    expect(t.blockedFor('a', 61_000)).toBe(0);
  });

  it('tracks a bounded number of clients, forgetting the oldest', () => {
    const t = new FailureThrottle(1, 60_000, 2);
    for (const c of ['a', 'b', 'c']) t.recordFailure(c, 0);
    expect([t.blockedFor('a', 1), t.blockedFor('b', 1), t.blockedFor('c', 1)]).toEqual([0, 59_999, 59_999]);
  });
});

describe('causeChain', () => {
  it('lists the messages of nested causes (an Error logs as {} otherwise)', () => {
    const err = new Error('outer', { cause: new TypeError('middle', { cause: 'root' }) });
    expect(causeChain(err)).toBe('TypeError: middle <- root');
    expect(causeChain(new Error('alone'))).toBeUndefined();
  });
});
