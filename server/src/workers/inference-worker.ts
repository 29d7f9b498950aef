import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
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
}

export interface PredictTask extends DetectOptions {
  image: Uint8Array;
}

/**
 * Sent once per worker at shutdown: releases the ONNX session before piscina terminates the thread.
 * Terminating a thread that still holds a session can abort the process from a native finalizer
 * ("terminate called after throwing an instance of 'Napi::Error'"), seen here under load.
 */
export interface ReleaseTask {
  release: true;
  /** Shared counter of release tasks taken, and how many workers must take one. */
  barrier: SharedArrayBuffer;
  workers: number;
}

/** Errors travel as data: structured clone keeps only an Error's message, not our code. */
export type WorkerResult =
  | { ok: true; result: PredictResult }
  | { ok: false; error: ErrorInfo }
  | { ok: true; released: true };

const init = workerData as WorkerInit;
// One libvips thread per worker so that workers x (intra-op threads) stays within the CPUs.
sharp.concurrency(1);
sharp.cache(false);
const predictor = await Predictor.create({
  modelPath: init.modelPath,
  manifest: init.manifest,
  intraOpThreads: init.intraOpThreads,
  maxPixels: init.maxPixels,
});

let released = false;
let deprioritised = false;

/**
 * Serving before computing: lowers the CPU priority (nice +10) of every thread of the process but the
 * main one (the inference threads, libuv's pool where sharp decodes, V8's helpers), so that the event
 * loop (health checks, admission, the answers) is scheduled first when every core is busy. Linux only
 * (a thread's nice is set by its TID); elsewhere, or where it is refused, nothing changes.
 */
function deprioritise(): void {
  deprioritised = true;
  try {
    for (const tid of readdirSync('/proc/self/task').map(Number))
      if (tid !== process.pid) setPriority(tid, 10);
  } catch {
    // Not Linux, or not permitted: everything runs at the process's priority.
  }
}

/** piscina's task handler: one image in, a result or a client error out. */
export default async function run(task: PredictTask | ReleaseTask): Promise<WorkerResult> {
  if ('release' in task) {
    const taken = new Int32Array(task.barrier);
    Atomics.add(taken, 0, 1);
    if (!released) await predictor.release();
    released = true;
    // Stay busy until every worker has taken one, so that piscina hands each worker its own.
    const deadline = Date.now() + 3_000;
    while (Atomics.load(taken, 0) < task.workers && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    return { ok: true, released: true };
  }
  if (released) return { ok: false, error: { code: 'NOT_READY', message: 'The server is shutting down.' } };
  try {
    const result = await predictor.predict(task.image, task);
    // After the first image (the pool's warm-up), when libuv's pool threads exist.
    if (!deprioritised) deprioritise();
    return { ok: true, result };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: { code: err.code, message: err.message } };
    throw err;
  }
}
