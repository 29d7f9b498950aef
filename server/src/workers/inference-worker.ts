import { workerData } from 'node:worker_threads';
import type { DetectOptions, PredictResult } from '@shelfwatch/shared';
import sharp from 'sharp';
import { ApiError, type ErrorInfo } from '../errors.js';
import type { ModelManifest } from '../inference/model-files.js';
import { Predictor } from '../inference/predictor.js';

/** What the pool hands every worker at start. */
export interface WorkerInit {
  modelPath: string;
  manifest: ModelManifest | null;
  intraOpThreads: number;
  maxPixels: number;
  maxAspectRatio: number;
  decodeTimeoutSeconds: number;
}

/**
 * The one message the `predict` handler accepts, built field by field by the pool from the
 * validated query (never spread from request data): the image bytes, the three thresholds, and a
 * flag the caller sets when it stops waiting.
 */
export interface PredictTask {
  readonly image: Uint8Array;
  readonly options: Readonly<Required<DetectOptions>>;
  /** Int32 at index 0: 1 once the caller has given up (task budget spent); the worker then skips it. */
  readonly cancelled: SharedArrayBuffer;
}

/**
 * Sent once per worker at shutdown, as piscina's named task `release` (only the pool's onClose
 * hook names it): releases the ONNX session before piscina terminates the thread. Terminating a
 * thread that still holds a session can abort the process from a native finalizer ("terminate
 * called after throwing an instance of 'Napi::Error'"), seen here under load.
 */
export interface ReleaseTask {
  /** Shared counter of release tasks taken, and how many workers must take one. */
  readonly barrier: SharedArrayBuffer;
  readonly workers: number;
}

/** Errors travel as data: structured clone keeps only an Error's message, not our code. */
export type WorkerResult =
  | { ok: true; result: PredictResult }
  | { ok: false; error: ErrorInfo; skipped?: true }
  | { ok: true; released: true };

const init = workerData as WorkerInit;
// One libvips thread per worker so that workers x (intra-op threads) stays within the CPUs.
sharp.concurrency(1);
sharp.cache(false);

/**
 * A worker whose model cannot be loaded stays up and answers NOT_READY (the pool then reports
 * not ready) instead of exiting: an exit would make piscina start a replacement at once, in a loop.
 */
let predictor: Predictor | null = null;
let unavailable = '';
try {
  predictor = await Predictor.create({
    modelPath: init.modelPath,
    manifest: init.manifest,
    intraOpThreads: init.intraOpThreads,
    maxPixels: init.maxPixels,
    maxAspectRatio: init.maxAspectRatio,
    decodeTimeoutSeconds: init.decodeTimeoutSeconds,
  });
} catch (err) {
  unavailable = `the model could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
}

/** piscina task `predict`: one image in, a result or a client error out. */
export async function predict(task: PredictTask): Promise<WorkerResult> {
  if (Atomics.load(new Int32Array(task.cancelled), 0) === 1) {
    return {
      ok: false,
      skipped: true,
      error: { code: 'INFERENCE_TIMEOUT', message: 'skipped: caller gave up' },
    };
  }
  if (!predictor) {
    return {
      ok: false,
      error: { code: 'NOT_READY', message: 'Inference is unavailable.', cause: unavailable },
    };
  }
  const { conf, iou, maxDetections } = task.options;
  try {
    return { ok: true, result: await predictor.predict(task.image, { conf, iou, maxDetections }) };
  } catch (err) {
    if (err instanceof ApiError) {
      const cause = err.cause instanceof Error ? err.cause.message : undefined;
      return { ok: false, error: { code: err.code, message: err.message, cause } };
    }
    throw err;
  }
}

/** piscina task `release`: frees the session; the barrier makes piscina hand each worker its own. */
export async function release(task: ReleaseTask): Promise<WorkerResult> {
  const taken = new Int32Array(task.barrier);
  Atomics.add(taken, 0, 1);
  const session = predictor;
  predictor = null;
  unavailable = 'the server is shutting down';
  await session?.release();
  // Stay busy until every worker has taken one, so that piscina hands each worker its own.
  const deadline = Date.now() + 3_000;
  while (Atomics.load(taken, 0) < task.workers && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  return { ok: true, released: true };
}
