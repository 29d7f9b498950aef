/**
 * Which engine runs a scan: the device (onnxruntime-web in a worker) or the server (`POST /predict`).
 * An explicit, pure policy (docs/CONVENTIONS.md 7): capabilities and warm-up time in, an ordered fallback list
 * out. `engine-manager.ts` walks that list; nothing else decides.
 */

/** The user's setting. */
export type EngineMode = 'auto' | 'device' | 'server';
/** Where a scan really ran. */
export type EngineKind = 'device' | 'server';

/** What the browser tells about itself (fields it does not expose are undefined). */
export interface DeviceCapabilities {
  /** WebAssembly with fixed-width SIMD (onnxruntime-web >= 1.19 ships only SIMD builds). */
  wasmSimd: boolean;
  /** Module workers, `createImageBitmap` and `OffscreenCanvas` 2D. */
  workerImaging: boolean;
  /** `crossOriginIsolated`: SharedArrayBuffer, hence WASM threads. */
  crossOriginIsolated: boolean;
  /** `navigator.hardwareConcurrency`. */
  cores?: number;
  /** `navigator.deviceMemory` in GiB (Chromium only, rounded down, capped at 8). */
  memoryGb?: number;
  /** Whether this build ships a model at all. */
  modelShipped: boolean;
}

export interface PolicyThresholds {
  /** Below this many GiB (where known) Auto uses the server. @default 2 */
  minMemoryGb: number;
  /** Below this many cores (where known) Auto uses the server. @default 2 */
  minCores: number;
  /** Warm-up inference slower than this (ms) makes Auto prefer the server. @default 2500 */
  warmupBudgetMs: number;
  /** Most WASM threads to ask for. @default 4 */
  maxThreads: number;
}

export const DEFAULT_THRESHOLDS: PolicyThresholds = {
  minMemoryGb: 2,
  minCores: 2,
  warmupBudgetMs: 2500,
  maxThreads: 4,
};

/** Life of the device engine as the manager sees it. */
export type DeviceState =
  | 'unsupported' // cannot run here at all (no SIMD, no worker imaging, no model)
  | 'weak' // can run, but memory/cores are below the Auto thresholds
  | 'idle' // not started yet
  | 'loading' // worker starting, model downloading, warming up
  | 'ready' // warm-up within budget
  | 'slow' // warm-up over budget: usable, but Auto prefers the server
  | 'failed'; // worker or session failed

export interface DeviceAssessment {
  /** `unsupported`, `weak` or `idle` (ready to be started). */
  state: Extract<DeviceState, 'unsupported' | 'weak' | 'idle'>;
  reason: string;
  /** WASM threads to ask for: 1 without cross-origin isolation, else min(cores, maxThreads). */
  threads: number;
}

/** Judges what the browser reports, before anything is loaded. */
export function assessDevice(
  caps: DeviceCapabilities,
  t: PolicyThresholds = DEFAULT_THRESHOLDS,
): DeviceAssessment {
  const threads = caps.crossOriginIsolated ? Math.max(1, Math.min(caps.cores ?? 1, t.maxThreads)) : 1;
  if (!caps.modelShipped) return { state: 'unsupported', reason: 'this build ships no model', threads };
  if (!caps.wasmSimd) return { state: 'unsupported', reason: 'WebAssembly SIMD is not supported', threads };
  if (!caps.workerImaging) {
    return { state: 'unsupported', reason: 'workers cannot decode images (no OffscreenCanvas)', threads };
  }
  if (caps.memoryGb !== undefined && caps.memoryGb < t.minMemoryGb) {
    return { state: 'weak', reason: `${caps.memoryGb} GiB memory < ${t.minMemoryGb} GiB`, threads };
  }
  if (caps.cores !== undefined && caps.cores < t.minCores) {
    return { state: 'weak', reason: `${caps.cores} cores < ${t.minCores}`, threads };
  }
  return { state: 'idle', reason: 'device can run the model', threads };
}

/** Whether a warm-up time is within budget. */
export function judgeWarmup(warmupMs: number, t: PolicyThresholds = DEFAULT_THRESHOLDS): 'ready' | 'slow' {
  return warmupMs <= t.warmupBudgetMs ? 'ready' : 'slow';
}

/**
 * Whether to start the device engine in the background now (it is also started on demand when the
 * server cannot be reached). A weak device is started only when the user asked for it.
 */
export function shouldStartDevice(mode: EngineMode, state: DeviceState): boolean {
  if (state === 'idle') return mode !== 'server';
  return state === 'weak' && mode === 'device';
}

export interface PolicyInput {
  mode: EngineMode;
  device: DeviceState;
  /** `navigator.onLine`; false means the server is certainly unreachable. */
  online: boolean;
}

/**
 * The engines to try, in order. A forced mode puts its engine first but still falls back on a hard
 * failure (worker cannot start, server unreachable), so a scan is never refused while one engine works.
 * Auto prefers the device only once its warm-up proved fast enough; offline, the device goes first.
 */
export function engineOrder({ mode, device, online }: PolicyInput): EngineKind[] {
  const deviceUsable = device === 'ready' || device === 'slow' || device === 'loading' || device === 'idle';
  const deviceFirst =
    mode === 'device'
      ? deviceUsable || device === 'weak'
      : mode === 'auto'
        ? device === 'ready' || (!online && deviceUsable)
        : !online && deviceUsable;
  const deviceFallback = deviceUsable || device === 'weak';
  const order: EngineKind[] = [];
  if (deviceFirst) order.push('device');
  if (online || !deviceFirst) order.push('server');
  if (!deviceFirst && deviceFallback) order.push('device');
  return order;
}
