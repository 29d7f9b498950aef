/**
 * Where the phone's inference time goes: the same model in onnxruntime-web WASM (Debian's Chromium,
 * the onnxruntime-web package the PWA bundles, cross-origin isolated) and in onnxruntime-node, one
 * thread each, on a grey 640x640 input. Prints, from this one run, the medians of unprofiled runs
 * and each operator type's time per run from each runtime's own profiler (profiling adds overhead:
 * read the operators' shares and ratios, not their sum) with the web / native ratio. Not a test.
 *   pnpm --filter @shelfwatch/e2e bench:ops [model.onnx ...]    (default: the manifest's INT8 model)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { parseModelManifest } from '@shelfwatch/shared';
import * as ort from 'onnxruntime-node';
import { CHROMIUM, CHROMIUM_ARGS, REPO_DIR } from '../support/paths.ts';

const RUNS = 11;
const SIZE = 640;
const ORT_WEB = join(REPO_DIR, 'web', 'node_modules', 'onnxruntime-web', 'dist');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The same operator under the names the two runtimes' graph optimisers give it. */
const ALIASES: Record<string, string> = { FusedConv: 'Conv', NhwcMaxPool: 'MaxPool' };

/** Kernel microseconds per operator type over all profiled events (Chrome trace format, both runtimes). */
function byOperator(events: { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[]) {
  const out = new Map<string, number>();
  for (const e of events) {
    const op = e.args?.op_name;
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || op === undefined) continue;
    const name = ALIASES[op] ?? op;
    out.set(name, (out.get(name) ?? 0) + (e.dur ?? 0));
  }
  return out;
}

async function native(model: string, profile: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'shelfwatch-ops-'));
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    enableProfiling: profile,
    profileFilePrefix: join(dir, 'profile'),
  });
  const input = new ort.Tensor('float32', new Float32Array(3 * SIZE * SIZE).fill(114 / 255), [
    1,
    3,
    SIZE,
    SIZE,
  ]);
  const feeds = { [session.inputNames[0]!]: input };
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  session.endProfiling();
  await session.release();
  const files = readdirSync(dir);
  const ops =
    profile && files[0] ? byOperator(JSON.parse(readFileSync(join(dir, files[0]), 'utf8'))) : new Map();
  rmSync(dir, { recursive: true, force: true });
  return { median: median(times), ops };
}

const manifestPath = join(REPO_DIR, 'models', 'manifest.json');
const models = process.argv.slice(2).map((m) => resolve(m));
if (models.length === 0)
  models.push(
    join(
      REPO_DIR,
      'models',
      parseModelManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath).int8,
    ),
  );

const served = new Map(models.map((m, i) => [`/model-${i}.onnx`, m]));
const server = createServer((req, res) => {
  const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
  // Cross-origin isolation, as the app's server sends it (SharedArrayBuffer for the WASM build).
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  const file =
    served.get(path) ?? (path.startsWith('/ort/') ? join(ORT_WEB, path.slice(5).replace(/\.\./g, '')) : '');
  if (path === '/') {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>op profile</title>');
    return;
  }
  try {
    const body = readFileSync(file);
    const type = { '.mjs': 'text/javascript', '.wasm': 'application/wasm' }[extname(file)];
    res.setHeader('content-type', type ?? 'application/octet-stream');
    res.end(body);
  } catch {
    res.statusCode = 404;
    res.end();
  }
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const address = server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  const consoleLines: string[] = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  await page.goto(`${base}/`);
  for (const [url, model] of served) {
    const web = async (profile: boolean) => {
      consoleLines.length = 0;
      const times = await page.evaluate(
        async ({ url, profile, runs, size }) => {
          const ort = await import('/ort/ort.wasm.min.mjs' as string);
          if (!self.crossOriginIsolated) throw new Error('the page is not cross-origin isolated');
          ort.env.wasm.numThreads = 1;
          ort.env.wasm.wasmPaths = '/ort/';
          const session = await ort.InferenceSession.create(url, {
            executionProviders: ['wasm'],
            graphOptimizationLevel: 'all',
            enableProfiling: profile,
          });
          const input = new ort.Tensor('float32', new Float32Array(3 * size * size).fill(114 / 255), [
            1,
            3,
            size,
            size,
          ]);
          const feeds = { [session.inputNames[0]]: input };
          await session.run(feeds);
          const t: number[] = [];
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now();
            await session.run(feeds);
            t.push(performance.now() - t0);
          }
          // The WASM build prints its profile to the console, one event per line.
          if (profile) session.endProfiling();
          await session.release();
          return t;
        },
        { url, profile, runs: RUNS, size: SIZE },
      );
      const events = consoleLines
        .flatMap((l) => l.split('\n'))
        .map((l) => l.trim().replace(/,$/, ''))
        .filter((l) => l.startsWith('{') && l.includes('"cat"'))
        .map((l) => JSON.parse(l));
      return { median: median(times), ops: byOperator(events) };
    };
    const webPlain = await web(false);
    const nativePlain = await native(model, false);
    const webOps = (await web(true)).ops;
    const nativeOps = (await native(model, true)).ops;
    console.log(`\n${model.replace(`${REPO_DIR}/`, '')}, 1 thread, ${SIZE}x${SIZE}, medians of ${RUNS} runs`);
    console.log(
      `  onnxruntime-web WASM ${webPlain.median.toFixed(1)} ms, onnxruntime-node ${nativePlain.median.toFixed(1)} ms: ${(webPlain.median / nativePlain.median).toFixed(1)}x`,
    );
    const webTotal = [...webOps.values()].reduce((s, v) => s + v, 0);
    console.log('  profiled, ms per run: operator, web (share of web), native, web / native');
    for (const [op, us] of [...webOps].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      const n = nativeOps.get(op);
      console.log(
        `    ${op.padEnd(18)} ${(us / (RUNS + 1) / 1000).toFixed(1).padStart(7)} (${((100 * us) / webTotal).toFixed(0)} %)` +
          `  ${n === undefined ? '      -' : (n / (RUNS + 1) / 1000).toFixed(1).padStart(7)}` +
          `  ${n === undefined ? '' : `${(us / n).toFixed(1)}x`}`,
      );
    }
  }
} finally {
  await browser.close();
  server.close();
}
