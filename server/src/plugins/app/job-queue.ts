import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type AuditJob, type JobOptions, JobRepository, type QueueDepth } from '../../db/job-repository.js';
import { ApiError, ERROR_CATALOGUE } from '../../errors.js';
import { AuditQueue } from '../../jobs/audit-queue.js';
import { processAuditJob } from '../../jobs/process-audit-job.js';
import { transactionKeepingPhotos } from '../../photos/photo-store.js';
import { InferenceSlot } from './model-pool.js';

/** An asynchronous submit, after the route has authenticated and validated it. */
export interface JobSubmit {
  apiKeyName: string;
  idempotencyKey: string | null;
  storeId: string;
  aisle: string;
  note: string | null;
  options: JobOptions;
  image: Uint8Array;
  sha256: string;
}

export interface AuditJobs {
  repository: JobRepository;
  /** True once pg-boss has started (and, where this process runs jobs, its consumers). */
  isReady(): boolean;
  /**
   * preParsing hook of asynchronous submits: a place among ASYNC_UPLOAD_SLOTS taken before the body
   * is read, and a bound on the jobs waiting (JOB_QUEUE_LIMIT).
   * @throws {ApiError} QUEUE_FULL (503 + Retry-After), NOT_READY while the queue is not started
   */
  admit(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /**
   * Writes the job, its photo and its idempotency record in one transaction, with the queue message.
   * The same Idempotency-Key returns the same job (`replayed`); a failed job whose error is
   * retryable is queued again under its id. The key with another photo, store or aisle is a 409.
   * @throws {ApiError} IDEMPOTENCY_CONFLICT
   */
  submit(submit: JobSubmit): Promise<{ job: AuditJob; replayed: boolean }>;
  /** Reads the queue depth now (and refreshes the gauges). */
  refreshDepth(): Promise<QueueDepth>;
  /** Deletes photos and finished jobs older than PHOTO_RETENTION_DAYS; returns how many. */
  sweepRetention(now?: Date): Promise<{ photos: number; jobs: number }>;
}

declare module 'fastify' {
  interface FastifyInstance {
    jobs: AuditJobs;
  }
}

const RETRY_MS = 2_000;
const DEPTH_REFRESH_MS = 2_000;
const RETENTION_SWEEP_MS = 3_600_000;
const RETENTION_BATCH = 500;

/**
 * Asynchronous audits on a durable pg-boss queue in the audit database. With `consumers`, this
 * process also runs jobs (JOB_CONCURRENCY at a time) through the inference pool, sweeps retention
 * and follows the dead-letter queue; `shelfwatch worker` processes do only that.
 */
export default fp(
  async (app: FastifyInstance, opts: { consumers: boolean }) => {
    const { config, metrics } = app;
    const repository = new JobRepository(app.db);
    const deps = {
      db: app.db,
      audits: app.audits,
      jobs: repository,
      photos: app.photos,
      metrics,
      // The pool's own admission counts requests; the queue bounds the jobs (JOB_CONCURRENCY).
      predict: (image: Uint8Array, options: JobOptions) =>
        app.inference.predict(image, options, new InferenceSlot(() => {})),
      log: app.log,
    };

    let queue: AuditQueue | null = null;
    let closed = false;
    let startTimer: NodeJS.Timeout | undefined;
    let depth: QueueDepth = { queued: 0, running: 0, oldestQueuedSeconds: 0 };
    const start = async (): Promise<void> => {
      if (closed) return;
      let started: AuditQueue | null = null;
      try {
        if (!app.dbReady()) throw new Error('the audit database is not migrated yet');
        started = await AuditQueue.start(config, app.db, (err) => app.log.error({ err }, 'job queue error'));
        if (opts.consumers) {
          await started.consume(
            {
              process: (jobId) => processAuditJob(deps, jobId),
              deadLettered: async (jobId) => {
                if (await repository.deadLetter(jobId)) {
                  metrics.auditJobsDeadLettered.inc();
                  metrics.auditJobsFinished.inc({ status: 'failed', code: 'DEAD_LETTER' });
                  app.log.error({ jobId }, 'audit job dead-lettered after its last attempt');
                }
              },
            },
            config.JOB_CONCURRENCY_RESOLVED,
          );
        }
        queue = started;
        await refreshDepth();
        app.log.info(
          { consumers: opts.consumers ? config.JOB_CONCURRENCY_RESOLVED : 0, schema: config.JOB_SCHEMA },
          'job queue started',
        );
      } catch (err) {
        await started?.stop(1_000).catch(() => {});
        if (app.db.kind === 'pglite') throw err;
        if (closed) return;
        // The audit store logs the database's own failures; this one only when pg-boss itself fails.
        if (app.dbReady()) app.log.error({ err }, `job queue unavailable; retrying in ${RETRY_MS} ms`);
        startTimer = setTimeout(() => void start(), RETRY_MS);
        startTimer.unref();
      }
    };

    const refreshDepth = async (): Promise<QueueDepth> => {
      depth = await repository.depth();
      metrics.auditJobs.set({ status: 'queued' }, depth.queued);
      metrics.auditJobs.set({ status: 'running' }, depth.running);
      metrics.auditJobOldestAge.set(depth.oldestQueuedSeconds);
      return depth;
    };
    const depthTimer = setInterval(() => {
      if (queue) refreshDepth().catch((err: unknown) => app.log.debug({ err }, 'queue depth unavailable'));
    }, DEPTH_REFRESH_MS);
    depthTimer.unref();

    const sweepRetention = async (now = new Date()) => {
      const out = { photos: 0, jobs: 0 };
      if (config.PHOTO_RETENTION_DAYS === 0) return out;
      const before = new Date(now.getTime() - config.PHOTO_RETENTION_DAYS * 86_400_000);
      for (let n = RETENTION_BATCH; n === RETENTION_BATCH && !closed; out.photos += n)
        n = await app.photos.deleteOlderThan(before, RETENTION_BATCH);
      for (let n = RETENTION_BATCH; n === RETENTION_BATCH && !closed; out.jobs += n)
        n = await repository.deleteFinishedBefore(before, RETENTION_BATCH);
      if (out.photos + out.jobs > 0)
        app.log.info({ ...out, before }, 'retention: old photos and jobs deleted');
      return out;
    };
    const retentionTimer = setInterval(() => {
      if (queue) sweepRetention().catch((err: unknown) => app.log.error({ err }, 'retention sweep failed'));
    }, RETENTION_SWEEP_MS);
    retentionTimer.unref();
    if (!opts.consumers) clearInterval(retentionTimer);

    let uploads = 0;
    const admit = async (_request: FastifyRequest, reply: FastifyReply) => {
      if (!queue) {
        throw new ApiError('NOT_READY', 'The job queue is starting; try again shortly.', {
          headers: { 'retry-after': String(RETRY_MS / 1000) },
        });
      }
      const full =
        uploads >= config.ASYNC_UPLOAD_SLOTS || depth.queued + depth.running >= config.JOB_QUEUE_LIMIT;
      if (full) {
        metrics.rejected.inc({ code: 'QUEUE_FULL' });
        throw new ApiError('QUEUE_FULL', undefined, { headers: { 'retry-after': '1' } });
      }
      uploads++;
      // 'close' comes once the response is written or the connection is gone.
      reply.raw.once('close', () => uploads--);
    };

    const submit = async (s: JobSubmit): Promise<{ job: AuditJob; replayed: boolean }> => {
      const q = queue;
      if (!q)
        throw new ApiError('NOT_READY', 'The job queue is starting; try again shortly.', {
          headers: { 'retry-after': '1' },
        });
      const sameUpload = (other: { sha256: string; storeId: string; aisle: string }) =>
        other.sha256 === s.sha256 && other.storeId === s.storeId && other.aisle === s.aisle;
      const photoOf = (id: string) => ({ id, storeId: s.storeId, bytes: s.image, sha256: s.sha256 });
      const fresh = {
        id: randomUUID(),
        storeId: s.storeId,
        aisle: s.aisle,
        note: s.note,
        apiKeyName: s.apiKeyName,
        idempotencyKey: s.idempotencyKey,
        sha256: s.sha256,
        options: s.options,
      };
      // Twice at most: a concurrent submit with the same key may commit between our read and insert;
      // the insert then waits for it and does nothing, and the second pass reads its job.
      for (let pass = 0; pass < 2; pass++) {
        const out = await transactionKeepingPhotos(app.db, app.photos, async (tx, keep) => {
          if (s.idempotencyKey !== null) {
            const existing = await repository.findByIdempotencyKey(tx, s.apiKeyName, s.idempotencyKey);
            if (existing) {
              if (!sameUpload(existing)) throw new ApiError('IDEMPOTENCY_CONFLICT');
              const runAgain =
                existing.status === 'failed' &&
                existing.error !== null &&
                ERROR_CATALOGUE[existing.error.code].retryable;
              if (!runAgain) return { job: existing, replayed: true };
              // A job that failed for a transient reason runs again under its id when it is resubmitted.
              const job = await repository.requeue(tx, existing.id);
              await keep(photoOf(existing.id));
              await q.send(tx, existing.id);
              return { job, replayed: true };
            }
            // The synchronous route already stored this key's audit: the job is that audit.
            const audit = await app.audits.findByIdempotencyKey(s.apiKeyName, s.idempotencyKey, tx);
            if (audit) {
              if (!sameUpload({ ...audit, sha256: audit.image.sha256 }))
                throw new ApiError('IDEMPOTENCY_CONFLICT');
              const job = await repository.insert(tx, fresh, { auditId: audit.id });
              return job ? { job, replayed: true } : null;
            }
          }
          const job = await repository.insert(tx, fresh);
          if (!job) return null;
          await keep(photoOf(job.id));
          await q.send(tx, job.id);
          return { job, replayed: false };
        });
        if (out) {
          if (!out.replayed) {
            metrics.auditJobsAccepted.inc();
            depth = { ...depth, queued: depth.queued + 1 };
          }
          return out;
        }
      }
      throw new Error('an idempotent submit found neither its own job nor the one it conflicted with');
    };

    app.decorate('jobs', {
      repository,
      isReady: () => queue !== null,
      admit,
      submit,
      refreshDepth,
      sweepRetention,
    } satisfies AuditJobs);

    await start();

    // onClose hooks run in reverse order of registration: this one before the model pool and the
    // database close, so running jobs can finish (pg-boss waits for them, then gives up on them:
    // their heartbeat stops and another process retries them).
    app.addHook('onClose', async () => {
      closed = true;
      clearTimeout(startTimer);
      clearInterval(depthTimer);
      clearInterval(retentionTimer);
      await queue?.stop(Math.min(config.SHUTDOWN_TIMEOUT_MS, 30_000));
      queue = null;
    });
  },
  {
    name: 'job-queue',
    dependencies: ['env', 'metrics', 'audit-store', 'photo-store', 'model-pool'],
    fastify: '5.x',
  },
);
