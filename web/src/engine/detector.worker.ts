/// <reference lib="webworker" />
/**
 * The on-device detector: onnxruntime-web (WASM backend, SIMD, threads when cross-origin isolated)
 * behind comlink. Decoding and letterboxing happen here; decoding, NMS and rows come from the shared core.
 */
import {
  attachShelfRows,
  DEFAULT_CONF,
  DEFAULT_IOU,
  DEFAULT_MAX_DETECTIONS,
  type ModelMetadata,
  type PredictResult,
  parseModelMetadata,
  postprocess,
} from '@shelfwatch/shared';
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import {
  DETECT_CANCELLED,
  type DetectOptions,
  type DetectorApi,
  type DetectorInfo,
  type DetectorInitOptions,
  type ProgressCallback,
} from './detector-api.ts';
import { fetchCached } from './model-cache.ts';
import { prepareInput, type ResampleMode } from './preprocess.ts';

let session: ort.InferenceSession | undefined;
let meta: ModelMetadata | undefined;
let model = { name: '', version: '' };
let inputName = 'images';
let inputBuffer: Float32Array | undefined;
let resample: ResampleMode = 'reference';
/** Scan ids the page cancelled: their detect stops at its next step. */
const cancelled = new Set<number>();

function throwIfCancelled(scanId: number | undefined): void {
  if (scanId === undefined || !cancelled.has(scanId)) return;
  cancelled.delete(scanId);
  const err = new Error(`scan ${scanId} cancelled`);
  err.name = DETECT_CANCELLED;
  throw err;
}

function inputSize(): [number, number] {
  return meta?.imgsz ?? [640, 640];
}

async function run(tensorData: Float32Array): Promise<ort.Tensor> {
  if (!session) throw new Error('detector is not initialised');
  const [h, w] = inputSize();
  const feeds = { [inputName]: new ort.Tensor('float32', tensorData, [1, 3, h, w]) };
  const results = await session.run(feeds);
  const output = results[session.outputNames[0]!];
  if (!output) throw new Error('model produced no output');
  return output;
}

const api: DetectorApi = {
  async init(options: DetectorInitOptions, onProgress?: ProgressCallback): Promise<DetectorInfo> {
    const t0 = performance.now();
    const isolated = self.crossOriginIsolated === true;
    ort.env.wasm.wasmPaths = options.ortBase;
    // Without cross-origin isolation there is no SharedArrayBuffer; ORT would fall back silently anyway.
    ort.env.wasm.numThreads = isolated ? Math.max(1, options.threads) : 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    resample = options.resample ?? 'reference';
    meta = parseModelMetadata({ imgsz: String(options.inputSize), ...options.modelProps });
    model = { name: options.modelName || meta.name, version: options.modelVersion || meta.version };
    // The WASM binary is fetched here (not by ORT) for real progress and one cached copy.
    const wasmUrl = `${options.ortBase}ort-wasm-simd-threaded.wasm`;
    const [wasm, { bytes, fromCache }] = await Promise.all([
      fetchCached(wasmUrl, options.ortCacheName, (l, t) => onProgress?.('wasm', l, t), options.wasmBytes),
      fetchCached(
        options.modelUrl,
        options.cacheName,
        (l, t) => onProgress?.('model', l, t),
        options.modelBytes,
      ),
    ]);
    ort.env.wasm.wasmBinary = wasm.bytes;
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    inputName = session.inputNames[0] ?? 'images';
    return {
      threads: ort.env.wasm.numThreads ?? 1,
      crossOriginIsolated: isolated,
      fromCache,
      loadMs: performance.now() - t0,
      inputSize: inputSize(),
    };
  },

  async warmup(): Promise<number> {
    const [h, w] = inputSize();
    const t0 = performance.now();
    const blank = new Float32Array(3 * h * w).fill(114 / 255);
    const out = await run(blank);
    out.dispose();
    return performance.now() - t0;
  },

  async detect(image: Blob, options: DetectOptions = {}): Promise<PredictResult> {
    throwIfCancelled(options.scanId);
    const t0 = performance.now();
    const [h, w] = inputSize();
    if (!inputBuffer || inputBuffer.length !== 3 * h * w) inputBuffer = new Float32Array(3 * h * w);
    const input = await prepareInput(image, w, h, inputBuffer, resample);
    throwIfCancelled(options.scanId);
    const t1 = performance.now();
    const output = await run(input.tensor);
    const t2 = performance.now();
    const found = postprocess(output.data as Float32Array, output.dims, {
      letterbox: input.letterbox,
      conf: options.conf ?? DEFAULT_CONF,
      iou: options.iou ?? DEFAULT_IOU,
      maxDetections: options.maxDetections ?? DEFAULT_MAX_DETECTIONS,
      names: meta?.names ?? [],
    });
    output.dispose();
    const { detections, shelf } = attachShelfRows(found);
    const t3 = performance.now();
    return {
      model,
      image: { width: input.width, height: input.height },
      count: detections.length,
      detections,
      shelf,
      timingsMs: {
        decode: input.decodeMs,
        preprocess: input.preprocessMs,
        inference: t2 - t1,
        postprocess: t3 - t2,
        total: t3 - t0,
      },
    };
  },

  async cancel(scanId: number): Promise<void> {
    cancelled.add(scanId);
  },

  async dispose(): Promise<void> {
    await session?.release();
    session = undefined;
  },
};

// One detect at a time: the session and the input buffer are shared, and a detect that awaits its
// photo's decode must not let a later one run in between.
const detectOne = api.detect;
let detectQueue: Promise<unknown> = Promise.resolve();
api.detect = (image, options) => {
  const result = detectQueue.then(() => detectOne(image, options));
  detectQueue = result.catch(() => {});
  return result;
};

Comlink.expose(api);
