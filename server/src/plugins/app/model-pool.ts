import { fileURLToPath } from 'node:url';
import { type DetectOptions, PIPELINE_STAGES, type PredictResult } from '@shelfwatch/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Piscina } from 'piscina';
// sharp must be loaded by the main thread before worker threads use it (sharp docs, glibc Linux).
import sharp from 'sharp';
import { ApiError } from '../../errors.js';
import { type ModelDescription, readModel, resolveModelPath } from '../../inference/model-files.js';
import type { PredictTask, ReleaseTask, WorkerInit, WorkerResult } from '../../workers/inference-worker.js';

/**
 * The worker runs as plain JavaScript in its own thread, so it always comes from `dist/` (tests that
 * import this file from `src/` need `pnpm --filter @shelfwatch/server build` first).
 */
export const WORKER_FILE = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../../../dist/workers/inference-worker.js', import.meta.url)
    : new URL('../../workers/inference-worker.js', import.meta.url),
);

export interface InferencePool {
  model: ModelDescription;
  /** The piscina pool (tests kill its threads to check replacement). */
  pool: Piscina<PredictTask | ReleaseTask, WorkerResult>;
  workers: number;
  /** True once a worker has loaded the model and answered. */
  isReady(): boolean;
  /** Resolves when the model is loaded, rejects when it cannot be. */
  whenReady(): Promise<void>;
  /**
   * Runs one image in a worker thread.
   * @throws {ApiError} QUEUE_FULL (503 + Retry-After) when the bounded queue is full, WORKER_FAILED
   *   when the worker died under the task, or the client error the pipeline found in the image
   */
  predict(image: Uint8Array, options: DetectOptions): Promise<PredictResult>;
}

declare module 'fastify' {
  interface FastifyInstance {
    inference: InferencePool;
  }
}

export default fp(
  async (app: FastifyInstance) => {
    const { config, metrics } = app;
    const { path, manifest } = await resolveModelPath(config);
    // Parsing the metadata here fails fast (bad path, not an ONNX file) before any thread starts.
    const model = await readModel(path, manifest);
    const workers = config.WORKERS_RESOLVED;
    const init: WorkerInit = {
      modelPath: path,
      manifest,
      intraOpThreads: config.INTRA_OP_THREADS,
      maxPixels: config.MAX_PIXELS,
    };
    const pool = new Piscina<PredictTask | ReleaseTask, WorkerResult>({
      filename: WORKER_FILE,
      workerData: init,
      minThreads: workers,
      maxThreads: workers,
      // Workers never idle out: each holds a loaded session.
      idleTimeout: Number.POSITIVE_INFINITY,
      maxQueue: config.QUEUE_SIZE,
    });
    metrics.modelInfo.set({ name: model.name, version: model.version }, 1);
    metrics.workers.set(workers);
    metrics.queueDepth.set(0);
    metrics.workersBusy.set(0);

    let inFlight = 0;
    let ready = false;
    /** Exponential moving average of one image's time in a worker (queue wait excluded), for Retry-After. */
    let avgTaskMs = 200;
    const refreshGauges = () => {
      const queued = pool.queueSize;
      metrics.queueDepth.set(queued);
      metrics.workersBusy.set(Math.min(workers, Math.max(0, inFlight - queued)));
      metrics.workers.set(pool.threads.length);
    };
    let closing = false;
    pool.on('workerDestroy', () => {
      if (!closing) app.log.warn('inference worker exited; piscina starts a replacement');
      refreshGauges();
    });
    pool.on('workerCreate', refreshGauges);
    pool.on('error', (err: unknown) => app.log.error({ err }, 'inference pool error'));

    const runTask = async (task: PredictTask): Promise<PredictResult> => {
      // The queue is bounded: beyond QUEUE_SIZE waiting tasks, refuse at once with a hint of when to retry.
      if (inFlight >= workers + config.QUEUE_SIZE) {
        metrics.rejected.inc({ code: 'QUEUE_FULL' });
        const retryAfter = Math.max(1, Math.ceil(((inFlight / workers) * avgTaskMs) / 1000));
        throw new ApiError('QUEUE_FULL', undefined, { headers: { 'retry-after': String(retryAfter) } });
      }
      inFlight++;
      refreshGauges();
      try {
        const out = await pool.run(task);
        if (!out.ok) throw new ApiError(out.error.code, out.error.message);
        if (!('result' in out)) throw new Error('worker answered a predict task without a result');
        avgTaskMs = 0.8 * avgTaskMs + 0.2 * out.result.timingsMs.total;
        return out.result;
      } catch (err) {
        if (err instanceof ApiError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        if (/queue is at limit/i.test(message)) {
          metrics.rejected.inc({ code: 'QUEUE_FULL' });
          throw new ApiError('QUEUE_FULL', undefined, { headers: { 'retry-after': '1' }, cause: err });
        }
        // A worker that died (or threw) under the task: the client may retry, the pool replaces the thread.
        throw new ApiError('WORKER_FAILED', undefined, { headers: { 'retry-after': '1' }, cause: err });
      } finally {
        inFlight--;
        refreshGauges();
      }
    };

    // Warm every worker up: loads the session and JIT-compiles the pipeline before traffic arrives.
    const warmup = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const readyPromise = Promise.all(Array.from({ length: workers }, () => pool.run({ image: warmup }))).then(
      (results) => {
        for (const r of results) if (!r.ok) throw new Error(`warm-up failed: ${r.error.message}`);
        ready = true;
        app.log.info({ model: model.name, version: model.version, path, workers }, 'model loaded');
      },
    );
    readyPromise.catch((err: unknown) =>
      app.log.error({ err }, 'model could not be loaded; /health/ready stays 503'),
    );

    app.decorate('inference', {
      model,
      pool,
      workers,
      isReady: () => ready && pool.threads.length > 0,
      whenReady: () => readyPromise,
      predict: async (image: Uint8Array, options: DetectOptions) => {
        const result = await runTask({ image, ...options });
        const t = result.timingsMs;
        for (const stage of PIPELINE_STAGES) metrics.stageDuration.observe({ stage }, t[stage] / 1000);
        metrics.detectionsPerImage.observe(result.count);
        return result;
      },
    } satisfies InferencePool);

    // onClose runs after Fastify has stopped listening and in-flight requests have finished.
    app.addHook('onClose', async () => {
      closing = true;
      // Release every session inside its own thread before the threads are terminated.
      const workersAlive = pool.threads.length;
      const barrier = new SharedArrayBuffer(4);
      await Promise.allSettled(
        Array.from({ length: workersAlive }, () =>
          pool.run({ release: true, barrier, workers: workersAlive }),
        ),
      );
      await pool.destroy();
    });
  },
  { name: 'model-pool', dependencies: ['env', 'metrics'], fastify: '5.x' },
);
