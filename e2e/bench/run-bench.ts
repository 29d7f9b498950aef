/**
 * Benchmark (issues 5, 11): in Debian's Chromium on this machine, the same INT8 model
 *  - onnxruntime-web WASM inference at 1 and 2 threads (the app's worker, `timingsMs.inference`),
 *  - photo chosen -> boxes drawn in the app (decode + resize + tensor + inference + NMS + rows + SVG),
 *    with the worker's stage medians, for the e2e fixture photo and a real 12 MP shelf photo from
 *    ../shared/data when it is there,
 *  - onnxruntime-node native inference at 1 and 2 intra-op threads on the same model and input size.
 * Prints medians and ratios measured in this one run; writes e2e/reports/bench.json. Not a test.
 *   pnpm bench:web [runs]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { describeModel, parseModelManifest } from '@shelfwatch/shared';
import * as ort from 'onnxruntime-node';
import { deviceSettled, scan, useSettings } from '../support/app.ts';
import { makeShelfFixture } from '../support/fixture.ts';
import { CHROMIUM, CHROMIUM_ARGS, REPO_DIR, REPORTS_DIR } from '../support/paths.ts';
import { startServer } from '../support/server.ts';

const RUNS = Number(process.argv[2] ?? 10);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function nodeInference(modelPath: string, threads: number, size: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const input = new ort.Tensor('float32', new Float32Array(3 * size * size).fill(114 / 255), [
    1,
    3,
    size,
    size,
  ]);
  const feeds = { [session.inputNames[0]!]: input };
  await session.run(feeds); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  await session.release();
  return times;
}

const manifestPath = join(REPO_DIR, 'models', 'manifest.json');
const manifest = parseModelManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
const modelPath = join(REPO_DIR, 'models', manifest.int8);
const spec = describeModel(new Uint8Array(readFileSync(modelPath)), manifest);
const REAL_PHOTO = join(REPO_DIR, '../shared/data/sku110k-shelf-sample/images/train_2975.jpg');
const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
interface WebResult {
  inferenceMs: number;
  photoToBoxesMs: number;
  count: number;
  workerStagesMs: Record<string, number>;
}
const results: Record<string, WebResult | number> = {};
try {
  const photos: [string, string][] = [['fixture', await makeShelfFixture(browser)]];
  if (existsSync(REAL_PHOTO)) photos.push(['12mp', REAL_PHOTO]);
  else console.warn(`[bench] ${REAL_PHOTO} is not here: the fixture photo only`);
  for (const [photoName, fixture] of photos)
    for (const threads of [1, 2]) {
      const context = await browser.newContext({ baseURL: server.baseURL });
      await useSettings(context, { engine: 'device', threads });
      const page = await context.newPage();
      await page.goto('/');
      const state = await deviceSettled(page);
      if (!/ready|slow/.test(state)) throw new Error(`device engine ${state}`);
      const got = Number(await page.getByTestId('engine').getAttribute('data-threads'));
      if (got !== threads) throw new Error(`asked for ${threads} WASM threads, the app runs ${got}`);
      await scan(page, fixture); // first scan: JIT, buffers
      const inference: number[] = [];
      const photoToBoxes: number[] = [];
      const stages: Record<string, number[]> = {};
      let count = 0;
      for (let i = 0; i < RUNS; i++) {
        const r = await scan(page, fixture);
        inference.push(r.inferenceMs);
        photoToBoxes.push(r.ms);
        for (const [k, v] of Object.entries(r.timings)) stages[k] = [...(stages[k] ?? []), v];
        count = r.count;
      }
      results[`web_wasm_${threads}t${photoName === 'fixture' ? '' : `_${photoName}`}`] = {
        inferenceMs: median(inference),
        photoToBoxesMs: median(photoToBoxes),
        count,
        workerStagesMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)])),
      };
      await context.close();
    }
  for (const threads of [1, 2]) {
    results[`node_native_${threads}t_inferenceMs`] = median(
      await nodeInference(modelPath, threads, spec.imgsz[0]),
    );
  }
} finally {
  await browser.close();
  await server.stop();
}

const web1 = results.web_wasm_1t as WebResult;
const web2 = results.web_wasm_2t as WebResult;
const node1 = results.node_native_1t_inferenceMs as number;
const node2 = results.node_native_2t_inferenceMs as number;
const real1 = results.web_wasm_1t_12mp as WebResult | undefined;
const real2 = results.web_wasm_2t_12mp as WebResult | undefined;
const report = {
  model: `${manifest.int8} (${spec.imgsz.join('x')})`,
  runs: RUNS,
  chromium: CHROMIUM,
  results,
  ratios: {
    wasm1t_over_native1t: web1.inferenceMs / node1,
    wasm2t_over_native2t: web2.inferenceMs / node2,
    wasm1t_over_wasm2t: web1.inferenceMs / web2.inferenceMs,
    photoToBoxes_over_inference_1t: web1.photoToBoxesMs / web1.inferenceMs,
    photoToBoxes_over_inference_2t: web2.photoToBoxesMs / web2.inferenceMs,
    ...(real1 && real2
      ? {
          photoToBoxes_over_inference_1t_12mp: real1.photoToBoxesMs / real1.inferenceMs,
          photoToBoxes_over_inference_2t_12mp: real2.photoToBoxesMs / real2.inferenceMs,
        }
      : {}),
  },
  at: new Date().toISOString(),
};
mkdirSync(REPORTS_DIR, { recursive: true });
writeFileSync(join(REPORTS_DIR, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
