import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeLetterbox, parseModelMetadata, postprocess, readOnnxMetadataProps } from '@shelfwatch/shared';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { havePython, int8WeightRange, runPython } from './python.js';

const ready = havePython(
  ['torch', 'onnx', 'numpy', 'PIL'],
  'python3-torch python3-onnx python3-numpy python3-pil',
);

/** Largest difference between two sets of weights, each a checkpoint (`.pt`) or an FP32 export (`.onnx`). */
function maxWeightDiff(a: string, b: string): number {
  const out = runPython([
    '-c',
    [
      'import sys, torch',
      'from shelfwatch_train.export import weights_from_onnx',
      'load = lambda p: weights_from_onnx(p) if p.endswith(".onnx") else torch.load(p)["model"]',
      'a, b = load(sys.argv[1]), load(sys.argv[2])',
      'assert a.keys() == b.keys(), sorted(set(a) ^ set(b))',
      'print(max((a[k].double() - b[k].double()).abs().max().item() for k in a))',
    ].join('\n'),
    a,
    b,
  ]);
  return Number(out.trim());
}

describe.runIf(ready)('training pipeline smoke test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shelfwatch-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders, trains a few steps from random weights, exports FP32 + INT8 ONNX that onnxruntime loads and the shared decoder reads', () => {
    // procedural shelves only, so this needs no data set
    runPython([
      '-m',
      'shelfwatch_train.render',
      '--split',
      'fixture',
      '--count',
      '4',
      '--size',
      '256',
      '--workers',
      '1',
      '--out',
      dir,
    ]);
    const data = join(dir, 'fixture');
    runPython([
      '-m',
      'shelfwatch_train.train',
      '--data',
      data,
      '--out',
      join(dir, 'run'),
      '--init',
      'random', // the architecture of the shipped model, without the pretrained download
      '--batch',
      '2',
      '--size',
      '128',
      '--steps',
      '3',
      '--warmup',
      '1',
      '--log-every',
      '1',
    ]);
    const out = runPython([
      '-m',
      'shelfwatch_train.export',
      '--ckpt',
      join(dir, 'run', 'last.pt'),
      '--version',
      '0.0.0-test',
      '--out',
      dir,
      '--imgsz',
      '256',
      '256',
      '--calib',
      data,
      '--calib-count',
      '2',
      '--float-head',
      'yes',
    ]);
    expect(out).toContain('int8.onnx');
    // 7-bit weights: onnxruntime's u8 x s8 kernels on x86 without VNNI saturate on full-range ones.
    const [lo, hi] = int8WeightRange(join(dir, 'shelfwatch-det-0.0.0-test.int8.onnx'));
    expect(lo).toBeGreaterThanOrEqual(-64);
    expect(hi).toBeLessThanOrEqual(63);
  }, 180_000);

  it('a run is recorded in run.yaml (settings, libraries, data checksum) and rerunning it gives the same weights', () => {
    const record = parse(readFileSync(join(dir, 'run', 'run.yaml'), 'utf8')) as {
      config: Record<string, unknown>;
      libraries: Record<string, string>;
      data_sha256: Record<string, string>;
      result: { steps: number };
    };
    expect(record.config).toMatchObject({
      steps: 3,
      batch: 2,
      size: 128,
      seed: 0,
      init: 'random',
      lr: 0.001,
    });
    expect(Object.keys(record.libraries)).toEqual(expect.arrayContaining(['python', 'torch', 'numpy']));
    expect(record.data_sha256[join(dir, 'fixture')]).toMatch(/^[0-9a-f]{64}$/);
    expect(record.result.steps).toBe(3);

    runPython([
      '-m',
      'shelfwatch_train.train',
      '--config',
      join(dir, 'run', 'run.yaml'),
      '--out',
      join(dir, 'rerun'),
    ]);
    expect(maxWeightDiff(join(dir, 'run', 'last.pt'), join(dir, 'rerun', 'last.pt'))).toBe(0);

    // A run file with a setting the trainer does not know is refused, naming it.
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'steps: 3\ndata: []\nout: x\nlearning_rate: 0.1\n');
    expect(() => runPython(['-m', 'shelfwatch_train.train', '--config', bad])).toThrow(
      /unknown settings \['learning_rate'\]/,
    );
  }, 120_000);

  it('an FP32 export gives back the weights it was made from, so a shipped model can be fine-tuned without its run; an INT8 file is refused', () => {
    const fp32 = join(dir, 'shelfwatch-det-0.0.0-test.fp32.onnx');
    expect(maxWeightDiff(join(dir, 'run', 'last.pt'), fp32)).toBe(0);
    const oneStepFrom = (init: string, out: string) =>
      runPython([
        '-m',
        'shelfwatch_train.train',
        '--data',
        join(dir, 'fixture'),
        '--out',
        join(dir, out),
        '--init',
        init,
        '--batch',
        '2',
        '--size',
        '128',
        '--steps',
        '1',
        '--warmup',
        '1',
      ]);
    oneStepFrom(fp32, 'from-onnx');
    expect(parse(readFileSync(join(dir, 'from-onnx', 'run.yaml'), 'utf8')).config.init).toBe(fp32);
    expect(() => oneStepFrom(join(dir, 'shelfwatch-det-0.0.0-test.int8.onnx'), 'from-int8')).toThrow(
      /is not an FP32 export of this network: no weights for \['net\.stem\.conv\.weight'/,
    );
  }, 120_000);

  for (const precision of ['fp32', 'int8']) {
    it(`${precision} model: metadata, layout [1, 5, N] and decoding`, async () => {
      const path = join(dir, `shelfwatch-det-0.0.0-test.${precision}.onnx`);
      const md = parseModelMetadata(readOnnxMetadataProps(readFileSync(path)));
      expect(md).toMatchObject({ version: '0.0.0-test', names: ['product'], imgsz: [256, 256], stride: 32 });
      const session = await ort.InferenceSession.create(path);
      const x = new Float32Array(3 * 256 * 256).fill(114 / 255);
      const out = await session.run({ images: new ort.Tensor('float32', x, [1, 3, 256, 256]) });
      const y = out.output0!;
      // one prediction per cell of the stride 8, 16 and 32 grids
      expect(y.dims).toEqual([1, 5, (256 / 8) ** 2 + (256 / 16) ** 2 + (256 / 32) ** 2]);
      const dets = postprocess(y.data as Float32Array, y.dims, {
        letterbox: computeLetterbox(256, 256, 256),
        conf: 0.001,
        iou: 0.5,
        names: md.names,
      });
      for (const d of dets) {
        expect(d.label).toBe('product');
        expect(d.score).toBeGreaterThanOrEqual(0.001);
        expect(d.score).toBeLessThanOrEqual(1);
      }
      await session.release();
    });
  }
});
