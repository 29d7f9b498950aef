import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attachShelfRows,
  type BoxXyxy,
  computeLetterbox,
  DEFAULT_MAX_DETECTIONS,
  type DecodedImage,
  DetectionPipeline,
  describeModel,
  type Letterbox,
  letterboxTensor,
  type ModelSpec,
  PIPELINE_STAGES,
  parseDecimal,
  parseModelManifest,
  resolveDetectOptions,
  sourceToLetterbox,
} from '../src/index.js';
import { twoBays } from './bays.js';

const manifestFile = new URL('../../models/manifest.json', import.meta.url);

describe('the one model reader', () => {
  it('reads the shipped manifest and model: metadata first, the manifest fills gaps', () => {
    const manifest = parseModelManifest(
      JSON.parse(readFileSync(manifestFile, 'utf8')),
      'models/manifest.json',
    );
    const spec = describeModel(
      new Uint8Array(readFileSync(new URL(`../../models/${manifest.int8}`, import.meta.url))),
      manifest,
    );
    expect(spec).toMatchObject({ name: manifest.name, version: manifest.version, names: ['product'] });
    expect(spec.imgsz).toEqual(manifest.imgsz);
    const bare = describeModel(
      { names: "{0: 'a', 1: 'b'}" },
      { name: 'm', version: '9.9.9', imgsz: [480, 640] },
    );
    expect(bare).toMatchObject({
      name: 'm',
      version: '9.9.9',
      names: ['a', 'b'],
      imgsz: [480, 640],
      stride: 32,
    });
    expect(
      describeModel({ imgsz: '[320, 320]', name: 'own' }, { name: 'm', imgsz: [640, 640] }),
    ).toMatchObject({
      name: 'own',
      imgsz: [320, 320],
    });
  });

  it('refuses malformed manifests, naming the field', () => {
    expect(() => parseModelManifest([], 'm.json')).toThrow(/m.json must be a JSON object/);
    expect(() => parseModelManifest({ name: 'a', version: '1' })).toThrow(/"int8", got undefined/);
    expect(() => parseModelManifest({ name: 'a', version: '1', int8: 'x', imgsz: [0] })).toThrow(/imgsz/);
    expect(parseModelManifest({ name: 'a', version: '1', int8: 'x', imgsz: 512 }).imgsz).toEqual([512, 512]);
  });
});

describe('resolveDetectOptions', () => {
  it('fills the defaults (1,000 detections) and names a bad option', () => {
    expect(resolveDetectOptions({}).maxDetections).toBe(DEFAULT_MAX_DETECTIONS);
    expect(DEFAULT_MAX_DETECTIONS).toBe(1000);
    expect(() => resolveDetectOptions({ conf: 2 })).toThrow(/conf must be in \[0, 1\], got 2/);
    expect(() => resolveDetectOptions({ maxDetections: 10_001 })).toThrow(/at most 10000/);
  });

  it('reads option text as a number only when it is written in decimal', () => {
    for (const [text, n] of [
      ['0.3', 0.3],
      ['1000', 1000],
      ['.5', 0.5],
      ['5.', 5],
      ['-1', -1],
      ['1e3', 1000],
    ] as const)
      expect(parseDecimal(text), text).toBe(n);
    // Number() reads each of these as a number.
    for (const text of ['', ' ', ' 2 ', '0x1', '0b11', '0o7', 'Infinity', '1e999', '1_000', '.'])
      expect(parseDecimal(text), JSON.stringify(text)).toBeUndefined();
  });
});

/** A one-class YOLO output `[1, 5, n]` (cx, cy, w, h, score rows) for boxes in source pixels. */
function modelOutput(boxes: readonly BoxXyxy[], scores: readonly number[], lb: Letterbox) {
  const n = boxes.length;
  const data = new Float32Array(5 * n);
  boxes.forEach((b, i) => {
    const [x1, y1, x2, y2] = sourceToLetterbox(b, lb);
    for (const [row, v] of [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, scores[i]!].entries())
      data[row * n + i] = v;
  });
  return { data, dims: [1, 5, n] };
}

describe('DetectionPipeline', () => {
  const spec: ModelSpec = {
    ...describeModel({ names: "{0: 'product'}", imgsz: '[64, 96]' }),
    name: 'test',
    version: '1.0.0',
  };
  const image: DecodedImage = {
    data: Uint8Array.from({ length: 300 * 200 * 3 }, (_, i) => (i * 7) % 251),
    width: 300,
    height: 200,
    channels: 3,
  };

  it('feeds the run the letterbox tensor and assembles the result in source pixels', async () => {
    const lb = computeLetterbox(300, 200, 96, 64);
    const seen: { dims?: readonly number[]; input?: Float32Array } = {};
    let disposed = false;
    // Two products, one candidate below the threshold.
    const { data, dims } = modelOutput(
      [
        [10, 10, 40, 40],
        [50, 12, 80, 44],
        [0, 0, 5, 5],
      ],
      [0.9, 0.8, 0.1],
      lb,
    );
    const pipeline = new DetectionPipeline(spec, async (input, inputDims) => {
      seen.dims = inputDims;
      seen.input = Float32Array.from(input);
      return { data, dims, dispose: () => (disposed = true) };
    });
    const r = await pipeline.detect(image, { conf: 0.5 }, 12.345);
    expect(seen.dims).toEqual([1, 3, 64, 96]);
    expect(seen.input).toEqual(letterboxTensor(image, lb));
    expect(disposed).toBe(true);
    expect(r.model).toEqual({ name: 'test', version: '1.0.0' });
    expect(r.image).toEqual({ width: 300, height: 200 });
    expect(r.count).toBe(2);
    expect(r.detections.map((d) => d.label)).toEqual(['product', 'product']);
    for (const [k, v] of r.detections[0]!.box.entries()) expect(v).toBeCloseTo([10, 10, 40, 40][k]!, 1);
    expect(r.detections.every((d) => d.row === 0)).toBe(true);
    expect(r.shelf.rows).toHaveLength(1);
    expect(Object.keys(r.timingsMs)).toEqual([...PIPELINE_STAGES, 'total']);
    expect(r.timingsMs.decode).toBe(12.35);
    expect(r.timingsMs.total).toBeGreaterThanOrEqual(12.35);
  });

  it('groups the rows from the boxes it found, as attachShelfRows does on them (what a client holding the detections gets)', async () => {
    // Two bays whose products overhang the upright: one row per shelf.
    const { boxes } = twoBays(21, 6, 800);
    const photo: DecodedImage = {
      data: new Uint8Array(1640 * 910 * 3).fill(90),
      width: 1640,
      height: 910,
      channels: 3,
    };
    const bays: ModelSpec = { ...spec, imgsz: [928, 1664] };
    const lb = computeLetterbox(photo.width, photo.height, 1664, 928);
    const output = modelOutput(
      boxes,
      boxes.map(() => 0.9),
      lb,
    );
    const pipeline = new DetectionPipeline(bays, async () => output);
    const r = await pipeline.detect(photo);
    expect(r.count).toBe(boxes.length);
    expect(r.shelf.rows).toHaveLength(6);
    expect(r.shelf).toEqual(attachShelfRows(r.detections).shelf);
  });

  it('refuses bad options and images before running the model', async () => {
    let runs = 0;
    const pipeline = new DetectionPipeline(spec, async () => {
      runs++;
      return { data: new Float32Array(0), dims: [1, 5, 0] };
    });
    await expect(pipeline.detect(image, { iou: -1 })).rejects.toThrow(/iou must be in \[0, 1\]/);
    await expect(pipeline.detect({ ...image, width: 301 })).rejects.toThrow(/image.data.length/);
    expect(runs).toBe(0);
    expect((await pipeline.detect(image)).count).toBe(0);
  });
});
