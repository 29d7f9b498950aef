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
import type {
  DetectOptions,
  DetectorApi,
  DetectorInfo,
  DetectorInitOptions,
  InputChecksum,
  ProgressCallback,
} from './detector-api.ts';
import { fetchCached } from './model-cache.ts';

let session: ort.InferenceSession | undefined;
let spec: ModelSpec | undefined;
let pipeline: DetectionPipeline | undefined;
let inputName = 'images';

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
    const { bytes, fromCache } = await fetchCached(options.modelUrl, options.cacheName, onProgress);
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
    const decoded = await decodePhoto(image);
    return pipeline.detect(decoded.image, options, decoded.ms);
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

  async dispose(): Promise<void> {
    await session?.release();
    session = undefined;
    pipeline = undefined;
  },
};

Comlink.expose(api);
