import { workerData } from 'node:worker_threads';
import type { PredictResult } from '@shelfwatch/shared';
import sharp from 'sharp';
import { ApiError, type ErrorInfo } from '../errors.js';
import type { ModelManifest } from '../inference/model-files.js';
import { type PredictOptions, Predictor } from '../inference/predictor.js';

/** What the pool hands every worker at start. */
export interface WorkerInit {
  modelPath: string;
  manifest: ModelManifest | null;
  intraOpThreads: number;
  maxPixels: number;
}

export interface PredictTask extends PredictOptions {
  image: Uint8Array;
}

/** Errors travel as data: structured clone keeps only an Error's message, not our code. */
export type WorkerResult = { ok: true; result: PredictResult } | { ok: false; error: ErrorInfo };

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

/** piscina's task handler: one image in, a result or a client error out. */
export default async function run(task: PredictTask): Promise<WorkerResult> {
  try {
    const result = await predictor.predict(task.image, task);
    return { ok: true, result };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, error: { code: err.code, message: err.message } };
    throw err;
  }
}
