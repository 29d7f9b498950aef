/**
 * Sends one queued audit to `POST /audits` (multipart: storeId, aisle, note, image) with its
 * Idempotency-Key, `Prefer: respond-async` and the API key read from the settings at send time (never
 * stored with the audit). The server answers 202 with a job at once (issue 13); the audit is then
 * `accepted`, and later sends of it poll `GET /audits/jobs/{id}` until the job is done (the official
 * audit, read with `GET /audits/{auditId}`) or failed. A server without the asynchronous route answers
 * 201 with the audit, which is taken as before.
 * Only an answer whose body is the job or the audit record of this very upload counts
 * (`jobMismatch`, `auditRecordMismatch`): a captive portal's 200 is retried, not mistaken for success.
 */
import { ERROR_CATALOGUE, isApiErrorBody, isErrorCode } from '@shelfwatch/shared';
import { jobMismatch, type ServerJob } from '../api/audit-job.ts';
import { auditRecordMismatch, sha256Hex } from '../api/audit-record.ts';
import type { AuditRecord, Downscaled } from '../storage/db.ts';
import type { SendResult } from './audit-queue.ts';

/** Parses `Retry-After` (seconds or HTTP date) into ms. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The upload's identity, checked against the answer. */
export interface SentAudit {
  idempotencyKey: string;
  storeId: string;
  aisle: string;
  sha256: string;
}

/** A job that is done: its audit is read next (`GET /audits/{auditId}`). */
export type Answer = SendResult | { kind: 'done'; auditId: string };

/**
 * What a job's state means for the queue: still to wait for, done (read the audit), failed for a
 * reason that submitting again can fix (the server gave up after its retries: the same key runs the
 * same job again), or refused for good with the synchronous route's code.
 */
export function jobOutcome(job: ServerJob, retryAfter?: number): Answer {
  if (job.status === 'done') return { kind: 'done', auditId: job.auditId! };
  if (job.status === 'failed') {
    const { code, message } = job.error!;
    if (isErrorCode(code) && ERROR_CATALOGUE[code].retryable)
      return { kind: 'resubmit', code, error: message };
    return { kind: 'rejected', code, error: message };
  }
  const accepted: SendResult = { kind: 'accepted', jobId: job.id, jobStatus: job.status };
  return retryAfter === undefined ? accepted : { ...accepted, retryAfterMs: retryAfter };
}

/**
 * Maps an HTTP answer to a queue outcome: a 202 (or, polling, a 200) with our job: its outcome; 201/200
 * with our audit record: sent; 408/429/5xx, or a 2xx that is neither: retried; polling, a 404: the job
 * is gone (retention), submitted again; other 4xx: refused for good (the user must change something).
 * @param jobId the job being polled, if this answers `GET /audits/jobs/{id}`
 */
export async function classifyResponse(response: Response, sent: SentAudit, jobId?: string): Promise<Answer> {
  const body: unknown = await response.json().catch(() => undefined);
  const after = retryAfterMs(response.headers.get('retry-after'));
  const echoed = response.headers.get('idempotency-key');
  if (response.status === 202 || (jobId !== undefined && response.status === 200)) {
    const mismatch = jobMismatch(body, sent, jobId, echoed);
    if (mismatch) return { kind: 'retry', code: 'INVALID_RESPONSE', error: mismatch };
    return jobOutcome((body as { job: ServerJob }).job, after);
  }
  if (response.status === 201 || response.status === 200) {
    const mismatch = auditRecordMismatch(body, sent, echoed);
    if (mismatch) return { kind: 'retry', code: 'INVALID_RESPONSE', error: mismatch };
    const rec = body as { id: string; count: number };
    return { kind: 'sent', serverId: rec.id, count: rec.count };
  }
  const code = isApiErrorBody(body) ? body.error.code : `HTTP_${response.status}`;
  const error = isApiErrorBody(body) ? body.error.message : `HTTP ${response.status}`;
  if (jobId !== undefined && response.status === 404)
    return { kind: 'resubmit', code: 'JOB_NOT_FOUND', error };
  if (response.status === 408 || response.status === 429 || response.status >= 500 || response.status < 400) {
    const retry: SendResult = {
      kind: 'retry',
      code: response.status < 400 ? 'INVALID_RESPONSE' : code,
      error,
    };
    return after === undefined ? retry : { ...retry, retryAfterMs: after };
  }
  return { kind: 'rejected', code, error };
}

/** The sentence added to the audit's note when the photo was made smaller on the device. */
export function downscaleNote(d: Downscaled | undefined): string {
  if (!d) return '';
  return `[Photo downscaled on the device from ${d.originalWidth}x${d.originalHeight} to ${d.width}x${d.height} to fit the server's limits.]`;
}

/**
 * Builds a sender bound to an API base URL (same origin by default). `apiKey` is asked for at every
 * send. A pending audit is submitted; an accepted one has its job polled (and, once done, its audit
 * read). A request that gets no answer within `timeoutMs` counts as a network failure (retried with
 * the same key), so a stalled connection cannot hold the sync lock forever.
 */
export function httpAuditSender(
  apiKey: () => Promise<string>,
  apiBase = '',
  fetchFn: typeof fetch = (...a) => fetch(...a),
  timeoutMs = 60_000,
) {
  return async (audit: AuditRecord): Promise<SendResult> => {
    const key = (await apiKey()).trim();
    if (!key) return { kind: 'retry', code: 'NO_API_KEY', error: 'no API key in Settings' };
    if (!audit.photo) return { kind: 'rejected', code: 'NO_PHOTO', error: 'the photo of this audit is gone' };
    const sent: SentAudit = {
      idempotencyKey: audit.id,
      storeId: audit.storeId,
      aisle: audit.aisle,
      sha256: await sha256Hex(audit.photo),
    };
    const call = async (path: string, init: RequestInit, jobId?: string): Promise<Answer> => {
      let response: Response;
      try {
        response = await fetchFn(`${apiBase}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${key}`, ...init.headers },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        return { kind: 'retry', code: 'NETWORK', error: err instanceof Error ? err.message : String(err) };
      }
      return classifyResponse(response, sent, jobId);
    };
    const answer =
      audit.status === 'accepted' && audit.jobId
        ? await call(`/audits/jobs/${encodeURIComponent(audit.jobId)}`, {}, audit.jobId)
        : await call('/audits', {
            method: 'POST',
            headers: { 'idempotency-key': audit.id, prefer: 'respond-async' },
            body: uploadForm(audit),
          });
    if (answer.kind !== 'done') return answer;
    // The job stored the official audit: read it (and check it is ours) for its id and count.
    const stored = await call(`/audits/${encodeURIComponent(answer.auditId)}`, {});
    return stored.kind === 'done' ? { kind: 'retry', code: 'INVALID_RESPONSE', error: 'no audit' } : stored;
  };
}

/** The multipart body of `POST /audits`: the fields, then the photo. */
function uploadForm(audit: AuditRecord): FormData {
  const form = new FormData();
  form.set('storeId', audit.storeId);
  form.set('aisle', audit.aisle);
  const note = [audit.note ?? '', downscaleNote(audit.downscaledFrom)].filter(Boolean).join(' ');
  if (note) form.set('note', note);
  // Files last: multipart parsers may need the fields before the stream of the file.
  form.set(
    'image',
    new Blob([audit.photo!], { type: audit.photoType }),
    'shelf' + extension(audit.photoType),
  );
  return form;
}

function extension(type: string): string {
  return type === 'image/png' ? '.png' : type === 'image/webp' ? '.webp' : '.jpg';
}
