import { readFileSync } from 'node:fs';
import { readOnnxMetadataProps } from '@shelfwatch/shared';
import { describe, expect, it } from 'vitest';
import { ApiKeyRing, DEV_API_KEY, mayAccessStore, sha256Hex } from '../src/auth/api-keys.js';
import { loadConfig } from '../src/config.js';
import { resolveModelPath } from '../src/inference/model-files.js';

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

describe('API keys', () => {
  it('uses the development key when API_KEYS is unset', () => {
    const { ring, development } = ApiKeyRing.fromEnv('');
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
    );
    const a = ring.verify('secret-a')!;
    expect(a.name).toBe('a');
    expect(mayAccessStore(a, 's1')).toBe(true);
    expect(mayAccessStore(a, 's2')).toBe(false);
    expect(mayAccessStore(ring.verify('secret-hq')!, 'anything')).toBe(true);
    expect(ring.verify('secret-b')).toBeNull();
  });

  it('refuses malformed API_KEYS with a message naming the problem', () => {
    expect(() => ApiKeyRing.fromEnv('{not json')).toThrow(/not valid JSON/);
    expect(() => ApiKeyRing.fromEnv('[{"name":"x","sha256":"abc","stores":["s"]}]')).toThrow(/sha256/);
    expect(() => ApiKeyRing.fromEnv(`[{"name":"x","sha256":"${sha256Hex('k')}","stores":[]}]`)).toThrow(
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
