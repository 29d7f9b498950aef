/**
 * Runs scans on the engine the policy picks, falling back along its ordered list: device -> server
 * when the worker fails, server -> device when the server cannot be reached. Client errors from the
 * server (4xx: bad image) are not retried elsewhere; they are the photo's fault.
 */
import type { PredictResult } from '@shelfwatch/shared';
import type { DetectorFile, ProgressCallback } from './detector-api.ts';
import {
  assessDevice,
  DEFAULT_THRESHOLDS,
  type DeviceCapabilities,
  type DeviceState,
  type EngineKind,
  type EngineMode,
  engineOrder,
  judgeWarmup,
  type PolicyThresholds,
  shouldStartDevice,
} from './policy.ts';

/** What one scan carries to its engine: an abort signal (new photo, Cancel) and the page's scan id. */
export interface ScanOptions {
  signal?: AbortSignal;
  scanId?: number;
}

/** The device engine as the manager needs it (wraps the comlink worker; faked in tests). */
export interface DeviceEngine {
  /** Starts the worker, loads the model and returns the threads in use. */
  start(onProgress?: ProgressCallback): Promise<{ threads: number }>;
  warmup(): Promise<number>;
  detect(image: Blob, options?: ScanOptions): Promise<PredictResult>;
  dispose(): void;
}

/** The server engine (`POST /predict`). */
export interface ServerEngine {
  detect(image: Blob, options?: ScanOptions): Promise<PredictResult>;
}

/** Thrown by the server engine when the server answered with a 4xx: no other engine is tried. */
export class ClientImageError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ClientImageError';
  }
}

export interface ScanOutcome {
  result: PredictResult;
  engine: EngineKind;
  /** Engines that failed before this one, with why. */
  fallbacks: { engine: EngineKind; error: string }[];
}

export interface EngineSnapshot {
  mode: EngineMode;
  device: DeviceState;
  reason: string;
  threads: number;
  warmupMs?: number;
  /** Download of the detector's files (model + WASM) while loading: bytes so far and in all. */
  download?: { loaded: number; total: number };
}

export interface EngineManagerOptions {
  caps: DeviceCapabilities;
  mode: EngineMode;
  device: DeviceEngine;
  server: ServerEngine;
  thresholds?: PolicyThresholds;
  isOnline?: () => boolean;
  onChange?: (snapshot: EngineSnapshot) => void;
  /** Sizes of the detector's files known at build time, so progress has a total from the start. */
  downloadSizes?: Partial<Record<DetectorFile, number>>;
  /** Shortest time between two progress notifications, ms. @default 250 */
  progressIntervalMs?: number;
}

export class EngineManager {
  private state: DeviceState;
  private reason: string;
  private threads: number;
  private warmupMs: number | undefined;
  private readonly downloads = new Map<DetectorFile, { loaded: number; total: number }>();
  private downloadTotals: Partial<Record<DetectorFile, number>>;
  private starting: Promise<void> | undefined;
  private mode: EngineMode;
  private readonly thresholds: PolicyThresholds;
  private readonly isOnline: () => boolean;

  constructor(private readonly opts: EngineManagerOptions) {
    this.thresholds = opts.thresholds ?? DEFAULT_THRESHOLDS;
    const a = assessDevice(opts.caps, this.thresholds);
    this.state = a.state;
    this.reason = a.reason;
    this.threads = a.threads;
    this.mode = opts.mode;
    this.isOnline = opts.isOnline ?? (() => true);
    this.downloadTotals = opts.downloadSizes ?? {};
  }

  snapshot(): EngineSnapshot {
    const s: EngineSnapshot = {
      mode: this.mode,
      device: this.state,
      reason: this.reason,
      threads: this.threads,
    };
    if (this.warmupMs !== undefined) s.warmupMs = this.warmupMs;
    if (this.downloads.size) {
      let loaded = 0;
      let total = 0;
      for (const file of ['model', 'wasm'] as const) {
        const d = this.downloads.get(file);
        const size = d?.total || this.downloadTotals[file] || 0;
        loaded += Math.min(d?.loaded ?? 0, size || Infinity);
        total += size;
      }
      s.download = { loaded, total };
    }
    return s;
  }

  private changed(): void {
    this.opts.onChange?.(this.snapshot());
  }

  setMode(mode: EngineMode): void {
    this.mode = mode;
    this.changed();
    if (shouldStartDevice(mode, this.state)) void this.startDevice().catch(() => {});
  }

  /** Starts the device engine in the background when the policy wants it (call after first paint). */
  startInBackground(): void {
    if (shouldStartDevice(this.mode, this.state)) void this.startDevice().catch(() => {});
  }

  /** Starts the worker, loads the model and warms up; idempotent. Rejects when the device cannot run. */
  startDevice(): Promise<void> {
    if (this.state === 'unsupported') return Promise.reject(new Error(this.reason));
    if (this.state === 'ready' || this.state === 'slow') return Promise.resolve();
    if (this.state === 'failed') return Promise.reject(new Error(this.reason));
    if (!this.starting) {
      this.state = 'loading';
      this.reason = 'loading the model';
      this.changed();
      this.starting = (async () => {
        try {
          let last = Number.NEGATIVE_INFINITY;
          const every = this.opts.progressIntervalMs ?? 250;
          const { threads } = await this.opts.device.start((file, loaded, total) => {
            this.downloads.set(file, { loaded, total });
            // Hundreds of chunks arrive: redrawing the page for each one cost ~400 ms of Lighthouse
            // "total blocking time". Tell listeners a few times a second.
            const now = performance.now();
            if (now - last < every) return;
            last = now;
            this.changed();
          });
          this.threads = threads;
          const ms = await this.opts.device.warmup();
          this.warmupMs = ms;
          this.state = judgeWarmup(ms, this.thresholds);
          this.reason =
            this.state === 'ready'
              ? `warm-up ${Math.round(ms)} ms within ${this.thresholds.warmupBudgetMs} ms`
              : `warm-up ${Math.round(ms)} ms over ${this.thresholds.warmupBudgetMs} ms budget`;
        } catch (err) {
          this.state = 'failed';
          this.reason = `device engine failed: ${errorText(err)}`;
          this.opts.device.dispose();
          throw err;
        } finally {
          this.starting = undefined;
          this.changed();
        }
      })();
    }
    return this.starting;
  }

  /** The engines the next scan will try, in order. */
  plan(): EngineKind[] {
    return engineOrder({ mode: this.mode, device: this.state, online: this.isOnline() });
  }

  /**
   * Runs one scan along the policy's fallback list. An aborted scan (`options.signal`) rejects with
   * the abort reason and tries no other engine.
   */
  async scan(image: Blob, options: ScanOptions = {}): Promise<ScanOutcome> {
    const fallbacks: ScanOutcome['fallbacks'] = [];
    const order = this.plan();
    for (const engine of order) {
      options.signal?.throwIfAborted();
      try {
        if (engine === 'device') {
          await this.startDevice();
          options.signal?.throwIfAborted();
          return { result: await this.opts.device.detect(image, options), engine, fallbacks };
        }
        return { result: await this.opts.server.detect(image, options), engine, fallbacks };
      } catch (err) {
        if (err instanceof ClientImageError || options.signal?.aborted) throw err;
        fallbacks.push({ engine, error: errorText(err) });
      }
    }
    const why = fallbacks.map((f) => `${f.engine}: ${f.error}`).join('; ');
    throw new Error(order.length ? `no engine could scan (${why})` : 'no engine available');
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
