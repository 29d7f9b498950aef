import type { ErrorCode } from '../errors.js';
import type { SqlClient, SqlRunner } from './sql-client.js';

/** What a client polls: queued (waiting or about to be retried), running, done (auditId) or failed (error). */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** The thresholds a job runs with, as the submit validated them. */
export interface JobOptions {
  conf?: number;
  iou?: number;
  maxDetections?: number;
}

/** One asynchronous submit: the idempotency record and the job's state. */
export interface AuditJob {
  id: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
  status: JobStatus;
  storeId: string;
  aisle: string;
  note: string | null;
  apiKeyName: string;
  idempotencyKey: string | null;
  sha256: string;
  options: JobOptions;
  /** Times a worker started it. */
  attempts: number;
  auditId: string | null;
  /** Why it failed (status `failed`), or the last transient failure of a job waiting for a retry. */
  error: { code: ErrorCode; message: string } | null;
}

export type NewJob = Pick<
  AuditJob,
  'id' | 'storeId' | 'aisle' | 'note' | 'apiKeyName' | 'idempotencyKey' | 'sha256' | 'options'
>;

interface JobRow {
  id: string;
  created_at: Date | string;
  updated_at: Date | string;
  status: JobStatus;
  store_id: string;
  aisle: string;
  note: string | null;
  api_key_name: string;
  idempotency_key: string | null;
  image_sha256: string;
  options: JobOptions | string;
  attempts: number;
  audit_id: string | null;
  error_code: ErrorCode | null;
  error_message: string | null;
}

const COLUMNS =
  'id, created_at, updated_at, status, store_id, aisle, note, api_key_name, idempotency_key, image_sha256, options, attempts, audit_id, error_code, error_message';

function toJob(r: JobRow): AuditJob {
  return {
    id: r.id,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
    status: r.status,
    storeId: r.store_id,
    aisle: r.aisle,
    note: r.note,
    apiKeyName: r.api_key_name,
    idempotencyKey: r.idempotency_key,
    sha256: r.image_sha256.trim(),
    options: typeof r.options === 'string' ? (JSON.parse(r.options) as JobOptions) : r.options,
    attempts: Number(r.attempts),
    auditId: r.audit_id,
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
  };
}

/** Jobs waiting or running, and how long the oldest waiting one has waited (the scaling signals). */
export interface QueueDepth {
  queued: number;
  running: number;
  /** Seconds since the oldest queued job was submitted; 0 when none waits. */
  oldestQueuedSeconds: number;
}

/**
 * The `audit_jobs` table: same SQL on PostgreSQL and PGlite. Status moves queued -> running ->
 * done | failed, or back to queued for a retry; a finished job never changes again, so a worker that
 * gets a job a second time (after a crash, or one presumed dead) finds it finished and stops.
 */
export class JobRepository {
  constructor(private readonly db: SqlClient) {}

  /** Inserts a job; null when the API key already used this idempotency key (a concurrent submit). */
  async insert(tx: SqlRunner, job: NewJob, done?: { auditId: string }): Promise<AuditJob | null> {
    const { rows } = await tx.query<JobRow>(
      `INSERT INTO audit_jobs (id, status, store_id, aisle, note, api_key_name, idempotency_key, image_sha256, options, audit_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
       ON CONFLICT ON CONSTRAINT audit_jobs_idempotency DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        job.id,
        done ? 'done' : 'queued',
        job.storeId,
        job.aisle,
        job.note,
        job.apiKeyName,
        job.idempotencyKey,
        job.sha256,
        JSON.stringify(job.options),
        done?.auditId ?? null,
      ],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** The job an API key submitted under an idempotency key, locked for the rest of `tx`. */
  async findByIdempotencyKey(tx: SqlRunner, apiKeyName: string, key: string): Promise<AuditJob | null> {
    const { rows } = await tx.query<JobRow>(
      `SELECT ${COLUMNS} FROM audit_jobs WHERE api_key_name = $1 AND idempotency_key = $2 FOR UPDATE`,
      [apiKeyName, key],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async get(id: string): Promise<AuditJob | null> {
    const { rows } = await this.db.query<JobRow>(`SELECT ${COLUMNS} FROM audit_jobs WHERE id = $1`, [id]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** A failed job submitted again: queued anew, the same id (its queue message is sent by the caller). */
  async requeue(tx: SqlRunner, id: string): Promise<AuditJob> {
    const { rows } = await tx.query<JobRow>(
      `UPDATE audit_jobs SET status = 'queued', error_code = NULL, error_message = NULL, updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return toJob(rows[0]!);
  }

  /** A worker starts an attempt; null when the job is already finished (nothing to do). */
  async start(id: string): Promise<AuditJob | null> {
    const { rows } = await this.db.query<JobRow>(
      `UPDATE audit_jobs SET status = 'running', attempts = attempts + 1, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING ${COLUMNS}`,
      [id],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  /** An attempt failed for a transient reason: queued again until the queue retries or dead-letters it. */
  async retryLater(id: string, error: { code: ErrorCode; message: string }): Promise<void> {
    await this.db.query(
      `UPDATE audit_jobs SET status = 'queued', error_code = $2, error_message = $3, updated_at = now()
       WHERE id = $1 AND status = 'running'`,
      [id, error.code, error.message],
    );
  }

  /** Finishes a job (once: a finished job is left as it is). */
  async finish(
    tx: SqlRunner,
    id: string,
    outcome: { auditId: string } | { error: { code: ErrorCode; message: string } },
  ): Promise<boolean> {
    const done = 'auditId' in outcome;
    const { rows } = await tx.query(
      `UPDATE audit_jobs SET status = $2, audit_id = $3, error_code = $4, error_message = $5, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [
        id,
        done ? 'done' : 'failed',
        done ? outcome.auditId : null,
        done ? null : outcome.error.code,
        done ? null : outcome.error.message,
      ],
    );
    return rows.length > 0;
  }

  /**
   * A job the queue gave up on (attempts exhausted, or its process died on the last one): failed with
   * its last transient error, WORKER_FAILED when none was recorded.
   * @returns whether this call finished it
   */
  async deadLetter(id: string): Promise<boolean> {
    const { rows } = await this.db.query(
      `UPDATE audit_jobs SET status = 'failed', updated_at = now(),
         error_code = COALESCE(error_code, 'WORKER_FAILED'),
         error_message = COALESCE(error_message, 'Inference failed; try again.')
       WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  async depth(): Promise<QueueDepth> {
    const { rows } = await this.db.query<{
      status: JobStatus;
      n: string | number;
      oldest: string | number | null;
    }>(
      `SELECT status, count(*) AS n, EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest
       FROM audit_jobs WHERE status IN ('queued', 'running') GROUP BY status`,
    );
    const byStatus = new Map(rows.map((r) => [r.status, r]));
    const queued = byStatus.get('queued');
    return {
      queued: Number(queued?.n ?? 0),
      running: Number(byStatus.get('running')?.n ?? 0),
      oldestQueuedSeconds: Math.max(0, Number(queued?.oldest ?? 0)),
    };
  }

  /** Deletes finished jobs (idempotency records) older than `before`; returns how many. */
  async deleteFinishedBefore(before: Date, limit: number): Promise<number> {
    const { rows } = await this.db.query(
      `DELETE FROM audit_jobs WHERE id IN (
         SELECT id FROM audit_jobs WHERE status IN ('done', 'failed') AND updated_at < $1
         ORDER BY updated_at LIMIT $2)
       RETURNING id`,
      [before.toISOString(), limit],
    );
    return rows.length;
  }
}
