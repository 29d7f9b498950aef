/**
 * The device engine: a module worker running `detector.worker.ts`, reached through comlink.
 * A worker that cannot start (script error, blocked, out of memory) rejects `start()` instead of hanging.
 */
import type { PredictResult } from '@shelfwatch/shared';
import * as Comlink from 'comlink';
import { config } from '../config.ts';
import type { DetectorApi, ProgressCallback } from './detector-api.ts';
import type { DeviceEngine, ScanOptions } from './engine-manager.ts';
import { modelCacheName, ortCacheName } from './model-cache.ts';

export class WorkerDeviceEngine implements DeviceEngine {
  private worker: Worker | undefined;
  private api: Comlink.Remote<DetectorApi> | undefined;
  private failure: Promise<never> | undefined;

  constructor(private readonly threads: number) {}

  async start(onProgress?: ProgressCallback): Promise<{ threads: number }> {
    const worker = new Worker(new URL('./detector.worker.ts', import.meta.url), {
      type: 'module',
      name: 'shelfwatch-detector',
    });
    this.worker = worker;
    // A worker whose script fails to load or throws at top level fires `error` and never answers.
    this.failure = new Promise<never>((_, reject) => {
      worker.addEventListener('error', (e) =>
        reject(new Error(`worker failed to start: ${e.message || 'load error'}`)),
      );
    });
    this.failure.catch(() => {});
    this.api = Comlink.wrap<DetectorApi>(worker);
    const info = await Promise.race([
      this.api.init(
        {
          modelUrl: config.modelUrl,
          modelBytes: config.modelBytes,
          wasmBytes: config.ortWasmBytes,
          ortCacheName: ortCacheName(config.ortVersion),
          modelName: config.modelName,
          modelVersion: config.modelVersion,
          modelProps: config.modelProps,
          inputSize: config.modelInputSize,
          ortBase: config.ortBase,
          threads: this.threads,
          cacheName: modelCacheName(config.modelVersion),
          resample: config.resample,
        },
        onProgress ? Comlink.proxy(onProgress) : undefined,
      ),
      this.failure,
    ]);
    return { threads: info.threads };
  }

  private remote(): Comlink.Remote<DetectorApi> {
    if (!this.api) throw new Error('device engine not started');
    return this.api;
  }

  async warmup(): Promise<number> {
    return Promise.race([this.remote().warmup(), this.failure!]);
  }

  /** Runs one detect; an abort of `signal` tells the worker to stop and rejects at once. */
  async detect(image: Blob, { signal, scanId }: ScanOptions = {}): Promise<PredictResult> {
    signal?.throwIfAborted();
    const remote = this.remote();
    const aborted = new Promise<never>((_, reject) => {
      signal?.addEventListener(
        'abort',
        () => {
          if (scanId !== undefined) void remote.cancel(scanId).catch(() => {});
          reject(signal.reason);
        },
        { once: true },
      );
    });
    aborted.catch(() => {});
    return Promise.race([
      remote.detect(image, scanId === undefined ? {} : { scanId }),
      this.failure!,
      aborted,
    ]);
  }

  dispose(): void {
    this.api?.[Comlink.releaseProxy]();
    this.worker?.terminate();
    this.api = undefined;
    this.worker = undefined;
  }
}

/** WebAssembly SIMD probe: a minimal module using a v128 instruction (validates only where SIMD exists). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

export function detectWasmSimd(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}
