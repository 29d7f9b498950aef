/// <reference lib="webworker" />
/**
 * The on-device detector: onnxruntime-web (WASM backend, SIMD, threads when cross-origin isolated)
 * behind comlink. This file is an adapter: it decodes the photo (`decode-photo.ts`) and runs the
 * session; the shared `DetectionPipeline` does everything between, as on the server.
 */
import {
  computeLetterbox,
  DetectionPipeline,
  describeModel,
  letterboxTensor,
  type ModelOutput,
  type ModelSpec,
  type PredictResult,
} from '@shelfwatch/shared';
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { decodePhoto } from './decode-photo.ts';
import {
  DETECT_CANCELLED,
  type DetectOptions,
  type DetectorApi,
  type DetectorInfo,
  type DetectorInitOptions,
  type InputChecksum,
  type ProgressCallback,
} from './detector-api.ts';
import { fetchCached } from './model-cache.ts';

let session: ort.InferenceSession | undefined;
let spec: ModelSpec | undefined;
let pipeline: DetectionPipeline | undefined;
let inputName = 'images';
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
  return spec?.imgsz ?? [640, 640];
}

async function run(input: Float32Array, dims: readonly number[]): Promise<ModelOutput> {
  if (!session) throw new Error('detector is not initialised');
  const results = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) });
  const output = results[session.outputNames[0]!];
  if (!output) throw new Error('model produced no output');
  return { data: output.data as Float32Array, dims: output.dims, dispose: () => output.dispose() };
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
    spec = describeModel(options.modelProps, {
      name: options.modelName,
      version: options.modelVersion,
      imgsz: [options.inputSize, options.inputSize],
    });
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
    pipeline = new DetectionPipeline(spec, run);
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
    const out = await run(new Float32Array(3 * h * w).fill(114 / 255), [1, 3, h, w]);
    out.dispose?.();
    return performance.now() - t0;
  },

  async detect(image: Blob, options: DetectOptions = {}): Promise<PredictResult> {
    if (!pipeline) throw new Error('detector is not initialised');
    throwIfCancelled(options.scanId);
    const decoded = await decodePhoto(image);
    throwIfCancelled(options.scanId);
    const { conf, iou, maxDetections } = options;
    return pipeline.detect(decoded.image, { conf, iou, maxDetections }, decoded.ms);
  },

  async inputChecksum(image: Blob, size: [height: number, width: number]): Promise<InputChecksum> {
    const { image: decoded } = await decodePhoto(image);
    const tensor = letterboxTensor(
      decoded,
      computeLetterbox(decoded.width, decoded.height, size[1], size[0]),
    );
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', tensor as Float32Array<ArrayBuffer>));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    return { sha256, width: decoded.width, height: decoded.height };
  },

  async cancel(scanId: number): Promise<void> {
    cancelled.add(scanId);
  },

  async dispose(): Promise<void> {
    await session?.release();
    session = undefined;
    pipeline = undefined;
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
