/**
 * Is this answer really the server's job for our upload? `POST /audits` with `Prefer: respond-async`
 * answers 202 with `{ job }`, and `GET /audits/jobs/{id}` with the same shape
 * (server/src/schemas/audits.ts `AuditJob`). As for stored audits (audit-record.ts), a captive portal
 * or a proxy can answer anything: a job counts only when it has the expected shape and carries our
 * Idempotency-Key, store, aisle and the SHA-256 of the photo we sent.
 */
import type { ExpectedAudit } from './audit-record.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

/** The fields of a job the PWA relies on. */
export interface ServerJob {
  id: string;
  status: JobStatus;
  storeId: string;
  aisle: string;
  idempotencyKey: string | null;
  image: { sha256: string };
  auditId?: string;
  error?: { code: string; message: string };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STATUSES: readonly string[] = ['queued', 'running', 'done', 'failed'];

/** Why `body` is not `{ job }` of the expected shape, or undefined when it is. */
export function jobShapeError(body: unknown): string | undefined {
  const job = (body as { job?: unknown } | null)?.job as Partial<ServerJob> | undefined;
  if (job === null || typeof job !== 'object') return 'the answer is not an audit job';
  if (typeof job.id !== 'string' || !UUID.test(job.id)) return 'the answer has no job id';
  if (typeof job.status !== 'string' || !STATUSES.includes(job.status)) return 'the answer has no job status';
  if (typeof job.storeId !== 'string' || typeof job.aisle !== 'string')
    return 'the answer has no store or aisle';
  if (typeof job.image?.sha256 !== 'string') return 'the answer has no photo digest';
  if (job.status === 'done' && (typeof job.auditId !== 'string' || !UUID.test(job.auditId)))
    return 'the answer is a finished job without its audit';
  if (job.status === 'failed' && typeof job.error?.code !== 'string')
    return 'the answer is a failed job without its error';
  return undefined;
}

/**
 * A reason why `body` is not the job of the expected upload, or undefined when it is.
 * @param jobId the job already known for this audit (polling), if any
 * @param echoedKey the answer's `Idempotency-Key` header, if any
 */
export function jobMismatch(
  body: unknown,
  expected: ExpectedAudit,
  jobId?: string,
  echoedKey?: string | null,
): string | undefined {
  const shape = jobShapeError(body);
  if (shape) return shape;
  const job = (body as { job: ServerJob }).job;
  if (jobId !== undefined && job.id.toLowerCase() !== jobId.toLowerCase()) return 'the answer is another job';
  // The server always echoes the key in the job: a job without ours is not our upload.
  if (job.idempotencyKey !== expected.idempotencyKey) return 'the answer is for another Idempotency-Key';
  if (echoedKey && echoedKey !== expected.idempotencyKey) return 'the answer is for another Idempotency-Key';
  if (job.storeId !== expected.storeId || job.aisle !== expected.aisle)
    return 'the answer is for another store or aisle';
  if (job.image.sha256.toLowerCase() !== expected.sha256.toLowerCase())
    return 'the answer is for another photo';
  return undefined;
}
