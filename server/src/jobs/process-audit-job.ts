import { performance } from 'node:perf_hooks';
import type { PredictResult } from '@shelfwatch/shared';
import { type AuditRepository, newAudit } from '../db/audit-repository.js';
import type { AuditJob, JobOptions, JobRepository } from '../db/job-repository.js';
import type { SqlClient } from '../db/sql-client.js';
import { ApiError, type ErrorCode } from '../errors.js';
import type { PhotoStore } from '../photos/photo-store.js';
import type { Metrics } from '../plugins/app/metrics.js';

export interface JobProcessorDeps {
  db: SqlClient;
  audits: AuditRepository;
  jobs: JobRepository;
  photos: PhotoStore;
  metrics: Metrics;
  /** The inference pool's public predict (the same pipeline as the synchronous route). */
  predict: (image: Uint8Array, options: JobOptions) => Promise<PredictResult>;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** A client error: the job fails with it for good, as the synchronous route would answer it. */
const isClientError = (err: unknown): err is ApiError => err instanceof ApiError && err.statusCode < 500;

/** The transient error recorded on a job that waits for a retry (and shown if it is dead-lettered). */
function transientError(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: 'The audit could not be processed; it is retried.' };
}

/**
 * Runs one audit job: the photo through the inference pool, then the audit and the job's `done`
 * in one transaction. A job already finished is left alone (a second delivery after a crash), and
 * the audit's unique job id makes a concurrent second run store nothing. Client errors (the image
 * is corrupt, too large, ...) finish the job as `failed` with the synchronous route's code; anything
 * else puts it back to `queued` and throws, so that pg-boss retries it with backoff.
 */
export async function processAuditJob(deps: JobProcessorDeps, jobId: string): Promise<void> {
  const { jobs, metrics } = deps;
  const started = performance.now();
  const job = await jobs.start(jobId);
  if (!job) return;
  const observe = (outcome: 'done' | 'failed' | 'retry', code: string) => {
    metrics.auditJobDuration.observe({ outcome }, (performance.now() - started) / 1000);
    if (outcome === 'retry') metrics.auditJobRetries.inc({ code });
    else {
      metrics.auditJobsFinished.inc({ status: outcome, code });
      metrics.auditJobLatency.observe((Date.now() - Date.parse(job.createdAt)) / 1000);
    }
  };
  try {
    const outcome = await runJob(deps, job);
    if (outcome.created) metrics.auditsCreated.inc();
    observe(outcome.status, outcome.code);
  } catch (err) {
    if (isClientError(err)) {
      const finished = await deps.db.transaction((tx) =>
        jobs.finish(tx, job.id, { error: { code: err.code, message: err.message } }),
      );
      if (finished) observe('failed', err.code);
      return;
    }
    const error = transientError(err);
    deps.log.warn({ err, jobId, attempt: job.attempts, code: error.code }, 'audit job failed; it is retried');
    await jobs.retryLater(job.id, error);
    observe('retry', error.code);
    throw err;
  }
}

async function runJob(
  deps: JobProcessorDeps,
  job: AuditJob,
): Promise<{ status: 'done' | 'failed'; code: ErrorCode | 'OK'; created: boolean }> {
  const photo = await deps.photos.get(job.id);
  // Retention never removes the photo of a pending job; a missing one cannot come back.
  if (!photo) throw new ApiError('NOT_FOUND', 'The photo of this job is no longer kept; submit it again.');
  const result = await deps.predict(photo.bytes, job.options);
  return deps.db.transaction(async (tx) => {
    const { record, created } = await deps.audits.insert(
      newAudit(result, {
        storeId: job.storeId,
        aisle: job.aisle,
        note: job.note,
        apiKeyName: job.apiKeyName,
        idempotencyKey: job.idempotencyKey,
        sha256: job.sha256,
        photoId: job.id,
        jobId: job.id,
      }),
      tx,
    );
    // The twin of another request (the synchronous route used the same Idempotency-Key) counts only
    // if it is the same upload, as a replay of the synchronous route would.
    const sameUpload =
      created ||
      (record.image.sha256 === job.sha256 && record.storeId === job.storeId && record.aisle === job.aisle);
    if (!sameUpload) {
      const error = new ApiError('IDEMPOTENCY_CONFLICT');
      await deps.jobs.finish(tx, job.id, { error: { code: error.code, message: error.message } });
      return { status: 'failed' as const, code: error.code, created: false };
    }
    const finished = await deps.jobs.finish(tx, job.id, { auditId: record.id });
    return { status: 'done' as const, code: 'OK' as const, created: created && finished };
  });
}
