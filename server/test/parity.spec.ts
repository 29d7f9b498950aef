import { computeLetterbox, resizeLetterbox } from '@shelfwatch/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { decodeLetterboxed } from '../src/inference/decode-image.js';
import { resolveModelPath } from '../src/inference/model-files.js';
import { Predictor } from '../src/inference/predictor.js';
import { hasSharedPhotos, sharedPhoto, shelfJpeg } from './helpers/images.js';

// "The same image must give the same count on the phone and on the server": the server resizes with
// libvips, the PWA with the browser; the shared core's reference resampler (area average) is the
// yardstick both are held to.
let predictor: Predictor;

beforeAll(async () => {
  const { path, manifest } = await resolveModelPath(loadConfig({}));
  predictor = await Predictor.create({ modelPath: path, manifest, intraOpThreads: 1, maxPixels: 50_000_000 });
});
afterAll(async () => predictor?.release());

async function compare(photo: Buffer) {
  const [h, w] = predictor.model.imgsz;
  const server = await decodeLetterboxed(photo, { inputWidth: w, inputHeight: h, maxPixels: 50_000_000 });
  const { data, info } = await sharp(photo)
    .rotate()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const letterbox = computeLetterbox(info.width, info.height, w, h);
  expect(server.letterbox).toEqual(letterbox);
  const reference = resizeLetterbox(data, info.width, info.height, 3, letterbox);
  let diff = 0;
  for (let i = 0; i < reference.length; i++) diff += Math.abs(reference[i]! - server.rgb[i]!);
  const a = await predictor.predictLetterboxed(server);
  const b = await predictor.predictLetterboxed({ ...server, rgb: Buffer.from(reference) });
  return { meanAbsDiff: diff / reference.length, serverCount: a.count, referenceCount: b.count };
}

describe('server letterbox vs the shared reference resampler', () => {
  it('a synthetic shelf: pixels within a few levels, same count within 5 %', async () => {
    const r = await compare(await shelfJpeg(1200, 900));
    console.info('synthetic shelf parity', r);
    expect(r.meanAbsDiff).toBeLessThan(4);
    expect(Math.abs(r.serverCount - r.referenceCount)).toBeLessThanOrEqual(
      Math.max(1, 0.05 * r.referenceCount),
    );
  });

  it.skipIf(!hasSharedPhotos)('a real 8 MP shelf photo (../shared present)', async () => {
    const r = await compare(sharedPhoto(1));
    console.info('real photo parity', r);
    expect(r.meanAbsDiff).toBeLessThan(4);
    expect(Math.abs(r.serverCount - r.referenceCount)).toBeLessThanOrEqual(
      Math.max(2, 0.05 * r.referenceCount),
    );
  });
});
