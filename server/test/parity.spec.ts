import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DetectionPipeline, describeModel } from '@shelfwatch/shared';
import { needSharedData } from '@shelfwatch/test-utils';
import { describe, expect, it } from 'vitest';
import { decodeUpright } from '../src/inference/decode-image.js';
import { REPO_ROOT } from './helpers/build.js';

/**
 * Phone/server parity, as checksums: every fixture photo's model input, built by the server's adapter
 * (sharp decode) and the shared pipeline, must hash to the committed golden value. The PWA worker is
 * held to the same values in Chromium (e2e/tests/parity.spec.ts), so both feed the model the same
 * bytes. A deliberate change of decoding or resampling rewrites the goldens:
 *   SHELFWATCH_WRITE_GOLDEN=1 npx vitest run --project server test/parity.spec.ts
 */
const FIXTURES = resolve(REPO_ROOT, 'server/test/fixtures/parity');
const GOLDEN_FILE = resolve(FIXTURES, 'golden.json');
const SHARED_DATA = resolve(REPO_ROOT, '../shared/data');
/** Real 12 MP and 10 MP shelf photos, checked where ../shared/data is present (never copied here; CI=true needs it). */
const SHARED_PHOTOS = [
  'sku110k-shelf-sample/images/train_2975.jpg',
  'sku110k-test-unlabeled/images/test_0.jpg',
];
const INPUT_SIZE: [number, number] = [640, 640];

export interface GoldenPhoto {
  /** A file in the fixture folder, or a path under ../shared/data. */
  file?: string;
  shared?: string;
  width: number;
  height: number;
  /** SHA-256 of the `[1, 3, 640, 640]` float32 model input's bytes. */
  tensorSha256: string;
}

const write = process.env.SHELFWATCH_WRITE_GOLDEN === '1';
const golden = JSON.parse(readFileSync(GOLDEN_FILE, 'utf8')) as {
  inputSize: number[];
  photos: GoldenPhoto[];
};
const pipeline = new DetectionPipeline(describeModel({ imgsz: `[${INPUT_SIZE.join(', ')}]` }), async () => {
  throw new Error('the parity check never runs the model');
});

async function measure(bytes: Buffer): Promise<Omit<GoldenPhoto, 'file' | 'shared'>> {
  const image = await decodeUpright(bytes, { maxPixels: 50_000_000 });
  const { tensor } = pipeline.prepare(image);
  const tensorSha256 = createHash('sha256')
    .update(new Uint8Array(tensor.buffer, tensor.byteOffset, tensor.byteLength))
    .digest('hex');
  return { width: image.width, height: image.height, tensorSha256 };
}

const fixtureFiles = readdirSync(FIXTURES)
  .filter((f) => /\.(jpe?g|png|webp)$/.test(f))
  .sort();

describe('the model input of every fixture photo is the committed golden', () => {
  it.skipIf(write)('has a golden value for every fixture photo, at the golden input size', () => {
    expect(golden.inputSize).toEqual(INPUT_SIZE);
    expect(golden.photos.filter((p) => p.file).map((p) => p.file)).toEqual(fixtureFiles);
    expect(golden.photos.filter((p) => p.shared).map((p) => p.shared)).toEqual(SHARED_PHOTOS);
  });

  it.each(fixtureFiles)('%s', async (file) => {
    check({ file }, await measure(readFileSync(resolve(FIXTURES, file))));
  });

  const sharedData = needSharedData(SHARED_DATA);
  it.runIf(sharedData).each(SHARED_PHOTOS)(
    '%s (../shared/data)',
    async (shared) => {
      check({ shared }, await measure(readFileSync(resolve(SHARED_DATA, shared))));
    },
    60_000,
  );

  it.runIf(write)('writes the goldens', () => {
    golden.inputSize = INPUT_SIZE;
    const order = (p: GoldenPhoto) => (p.file ? `0${p.file}` : `1${p.shared}`);
    golden.photos.sort((a, b) => (order(a) < order(b) ? -1 : 1));
    writeFileSync(GOLDEN_FILE, `${JSON.stringify(golden, null, 2)}\n`);
  });
});

/** Compares with the golden entry of the photo, or (SHELFWATCH_WRITE_GOLDEN=1) records it. */
function check(key: { file: string } | { shared: string }, got: Omit<GoldenPhoto, 'file' | 'shared'>): void {
  const name = 'file' in key ? key.file : key.shared;
  const entry = golden.photos.find((p) => (p.file ?? p.shared) === name);
  if (write) {
    if (entry) Object.assign(entry, got);
    else golden.photos.push({ ...key, ...got });
    return;
  }
  expect(entry, `${name} has no golden value (SHELFWATCH_WRITE_GOLDEN=1 records it)`).toBeDefined();
  expect({ ...key, ...got }).toEqual(entry);
}
