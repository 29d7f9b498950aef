import { fileURLToPath } from 'node:url';
import {
  type DetectOptions,
  PIPELINE_STAGES,
  type PredictResult,
  resolveDetectOptions,
} from '@shelfwatch/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Piscina } from 'piscina';
// sharp must be loaded by the main thread before worker threads use it (sharp docs, glibc Linux).
import sharp from 'sharp';
import { ApiError } from '../../errors.js';
import { type ImageLimits, inspectImage } from '../../inference/image-checks.js';
import {
  int8SaturationWarning,
  type ModelDescription,
  readModel,
  readModelInt8Weights,
  resolveModelPath,
} from '../../inference/model-files.js';
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

/**
 * A place in the bounded queue, taken before the request body is read. It is freed when both the
 * response is over and the task it started (if any) has left the worker, so that the number of
 * image bodies held in memory never exceeds WORKERS + QUEUE_SIZE.
 */
export class InferenceSlot {
  private holders = 1;

  constructor(private readonly free: () => void) {}

  /** One more holder (a task in the pool); returns its release function, safe to call twice. */
  hold(): () => void {
    this.holders++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.drop();
    };
  }

  drop(): void {
    if (--this.holders === 0) this.free();
  }
}

export interface InferencePool {
  model: ModelDescription;
  /** The piscina pool, for tests only (they kill its threads to check replacement); routes ask the methods below. */
  pool: Piscina<PredictTask | ReleaseTask, WorkerResult>;
  /** Worker threads configured (WORKERS). */
  workers: number;
  /** Worker threads alive now (fewer while piscina replaces one that died). */
  workersAlive(): number;
  /** True once the model is loaded and the workers can serve (no unbroken run of failed tasks). */
  isReady(): boolean;
  /** Resolves when the model is loaded, rejects when it cannot be. */
  whenReady(): Promise<void>;
  /**
   * When the workers are marked unable to serve, runs one probe image through the pool (one at a
   * time, 2 s at most); a success marks them serving again. Resolves to `isReady()`.
   */
  probe(): Promise<boolean>;
  /**
   * preParsing hook of the image routes: takes a queue slot before the body is read.
   * @throws {ApiError} QUEUE_FULL (503 + Retry-After) when WORKERS + QUEUE_SIZE requests hold one
   */
  admit(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * Checks the bytes (magic bytes, declared size, metadata) on this thread, then runs the image in a
   * worker thread under the task budget.
   * @param slot the request's queue slot (from `admit`)
   * @throws {ApiError} the client error the checks or the pipeline found; INFERENCE_TIMEOUT,
   *   WORKER_FAILED or NOT_READY (503 + Retry-After)
   */
  predict(image: Uint8Array, options: DetectOptions, slot: InferenceSlot): Promise<PredictResult>;
}

declare module 'fastify' {
  interface FastifyInstance {
    inference: InferencePool;
  }
  interface FastifyRequest {
    /** The queue slot `inference.admit` took for this request. */
    inferenceSlot: InferenceSlot | null;
  }
}

const PROBE_TIMEOUT_MS = 2_000;

export default fp(
  async (app: FastifyInstance) => {
    const { config, metrics } = app;
    const { path, manifest } = await resolveModelPath(config);
    // Parsing the metadata here fails fast (bad path, not an ONNX file) before any thread starts.
    const model = await readModel(path, manifest);
    const int8Weights = await readModelInt8Weights(path);
    const saturation = int8SaturationWarning({ path, int8Weights });
    if (saturation) app.log.warn({ model: path, int8Weights }, saturation);
    const workers = config.WORKERS_RESOLVED;
    const capacity = workers + config.QUEUE_SIZE;
    const limits: ImageLimits = { maxPixels: config.MAX_PIXELS, maxAspectRatio: config.MAX_ASPECT_RATIO };
    const init: WorkerInit = {
      modelPath: path,
      manifest,
      intraOpThreads: config.INTRA_OP_THREADS,
      maxPixels: config.MAX_PIXELS,
      maxAspectRatio: config.MAX_ASPECT_RATIO,
      decodeTimeoutSeconds: config.DECODE_TIMEOUT_SECONDS,
    };
    const pool = new Piscina<PredictTask | ReleaseTask, WorkerResult>({
      filename: WORKER_FILE,
      workerData: init,
      minThreads: workers,
      maxThreads: workers,
      // Workers never idle out: each holds a loaded session.
      idleTimeout: Number.POSITIVE_INFINITY,
      // Admission (below) bounds the queue; the headroom is for warm-up and readiness probes.
      maxQueue: capacity + 1,
    });
    metrics.modelInfo.set({ name: model.name, version: model.version }, 1);
    metrics.workers.set(workers);
    metrics.queueDepth.set(0);
    metrics.workersBusy.set(0);

    /** Queue slots taken (requests admitted, or tasks they left in the pool). */
    let slots = 0;
    /** Tasks handed to piscina and not settled yet (queued or running). */
    let inPool = 0;
    let ready = false;
    let closing = false;
    /** Tasks in a row that a worker could not run (died, or has no model); a success resets it. */
    let failureStreak = 0;
    /** Exponential moving average of one image's time in a worker (queue wait excluded), for Retry-After. */
    let avgTaskMs = 200;
    const serving = () => ready && !closing && pool.threads.length > 0 && failureStreak < workers;
    const refreshGauges = () => {
      const queued = pool.queueSize;
      metrics.queueDepth.set(queued);
      metrics.workersBusy.set(Math.min(workers, Math.max(0, inPool - queued)));
      metrics.workers.set(pool.threads.length);
    };
    const retryAfter = () => String(Math.max(1, Math.ceil(((slots / workers) * avgTaskMs) / 1000)));

    /** Runs one closed task in a worker and keeps the serving state. */
    const runTask = async (task: PredictTask): Promise<PredictResult> => {
      let out: WorkerResult;
      inPool++;
      refreshGauges();
      try {
        out = await pool.run(task, { name: 'predict' });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/queue is at limit/i.test(message)) {
          metrics.rejected.inc({ code: 'QUEUE_FULL' });
          throw new ApiError('QUEUE_FULL', undefined, { headers: { 'retry-after': '1' }, cause: err });
        }
        // A worker that died (or threw) under the task: the client may retry, the pool replaces the thread.
        failureStreak++;
        throw new ApiError('WORKER_FAILED', undefined, { headers: { 'retry-after': '1' }, cause: err });
      } finally {
        inPool--;
        refreshGauges();
      }
      if ('released' in out) throw new Error('worker answered a predict task with a release result');
      if (!out.ok) {
        if (out.error.code === 'NOT_READY') failureStreak++;
        throw new ApiError(out.error.code, out.error.message, {
          cause: out.error.cause === undefined ? undefined : new Error(out.error.cause),
          headers: out.error.code === 'NOT_READY' ? { 'retry-after': '5' } : {},
        });
      }
      failureStreak = 0;
      avgTaskMs = 0.8 * avgTaskMs + 0.2 * out.result.timingsMs.total;
      return out.result;
    };

    /** The closed message of the worker's `predict`: picked field by field, defaults resolved. */
    const predictTask = (image: Uint8Array, options: DetectOptions): PredictTask => ({
      image,
      // The shared options type's resolver returns exactly conf, iou and maxDetections, defaults filled.
      options: resolveDetectOptions(options),
      cancelled: new SharedArrayBuffer(4),
    });

    /** Runs a task, giving up after `budgetMs`; a task given up on is skipped by the worker if still queued. */
    const runWithBudget = (task: PredictTask, budgetMs: number, onSettled: () => void) =>
      new Promise<PredictResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          Atomics.store(new Int32Array(task.cancelled), 0, 1);
          reject(
            new ApiError(
              'INFERENCE_TIMEOUT',
              `No inference result within ${budgetMs} ms; try again shortly.`,
              { headers: { 'retry-after': retryAfter() } },
            ),
          );
        }, budgetMs);
        runTask(task)
          .then(resolve, reject)
          .finally(() => {
            clearTimeout(timer);
            onSettled();
            refreshGauges();
          });
      });

    // Warm every worker up: loads the session and JIT-compiles the pipeline before traffic arrives.
    const warmup = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const readyPromise = Promise.all(
      Array.from({ length: workers }, () => pool.run(predictTask(warmup, {}), { name: 'predict' })),
    ).then((results) => {
      for (const r of results)
        if (!r.ok) throw new Error(`warm-up failed: ${r.error.message} (${r.error.cause})`);
      ready = true;
      app.log.info({ model: model.name, version: model.version, path, workers }, 'model loaded');
    });
    readyPromise.catch((err: unknown) =>
      app.log.error({ err }, 'model could not be loaded; /health/ready stays 503'),
    );

    pool.on('workerDestroy', () => {
      if (!closing) app.log.warn('inference worker exited; piscina starts a replacement');
      refreshGauges();
    });
    pool.on('workerCreate', () => {
      refreshGauges();
      // A replacement must prove it can serve (its model may no longer load); failures feed the streak.
      if (ready && !closing) {
        runTask(predictTask(warmup, {})).catch((err: unknown) =>
          app.log.error({ err }, 'a replacement inference worker cannot serve'),
        );
      }
    });
    pool.on('error', (err: unknown) => app.log.error({ err }, 'inference pool error'));

    let probing: Promise<boolean> | null = null;
    const probe = (): Promise<boolean> => {
      if (serving() || !ready || closing) return Promise.resolve(serving());
      probing ??= runWithBudget(predictTask(warmup, {}), PROBE_TIMEOUT_MS, () => {})
        .then(
          () => serving(),
          () => false,
        )
        .finally(() => {
          probing = null;
        });
      return probing;
    };

    app.decorateRequest('inferenceSlot', null);
    app.decorate('inference', {
      model,
      pool,
      workers,
      workersAlive: () => pool.threads.length,
      isReady: serving,
      whenReady: () => readyPromise,
      probe,
      admit: async (request: FastifyRequest, reply: FastifyReply) => {
        // The queue is bounded before the body is read: beyond it, refuse at once with a retry hint.
        if (slots >= capacity) {
          metrics.rejected.inc({ code: 'QUEUE_FULL' });
          throw new ApiError('QUEUE_FULL', undefined, { headers: { 'retry-after': retryAfter() } });
        }
        slots++;
        const slot = new InferenceSlot(() => {
          slots--;
          refreshGauges();
        });
        request.inferenceSlot = slot;
        // 'close' comes once the response is written or the connection is gone (client aborted).
        reply.raw.once('close', () => slot.drop());
        refreshGauges();
      },
      predict: async (image: Uint8Array, options: DetectOptions, slot: InferenceSlot) => {
        inspectImage(image, limits);
        const result = await runWithBudget(predictTask(image, options), config.TASK_TIMEOUT_MS, slot.hold());
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
          pool.run({ barrier, workers: workersAlive }, { name: 'release' }),
        ),
      );
      await pool.destroy();
    });
  },
  { name: 'model-pool', dependencies: ['env', 'metrics'], fastify: '5.x' },
);
