/**
 * Sends one queued audit to `POST /audits` (multipart: storeId, aisle, note, image) with its
 * Idempotency-Key and the API key read from the settings at send time (never stored with the audit).
 * Only a 201/200 whose body is the audit record of this very upload counts as stored
 * (`auditRecordMismatch`): a captive portal's 200 is retried, not mistaken for success.
 */
import { isApiErrorBody } from '@shelfwatch/shared';
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

/**
 * Maps an HTTP answer to a queue outcome: 201/200 with our record: sent; 408/429/5xx, or a 2xx that is
 * not our record: retried; other 4xx: refused for good (the user must change something).
 */
export async function classifyResponse(response: Response, sent: SentAudit): Promise<SendResult> {
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 201 || response.status === 200) {
    const mismatch = auditRecordMismatch(body, sent, response.headers.get('idempotency-key'));
    if (mismatch) return { kind: 'retry', code: 'INVALID_RESPONSE', error: mismatch };
    const rec = body as { id: string; count: number };
    return { kind: 'sent', serverId: rec.id, count: rec.count };
  }
  const code = isApiErrorBody(body) ? body.error.code : `HTTP_${response.status}`;
  const error = isApiErrorBody(body) ? body.error.message : `HTTP ${response.status}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500 || response.status < 400) {
    const after = retryAfterMs(response.headers.get('retry-after'));
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
 * send. A send that gets no answer within `timeoutMs` counts as a network failure (retried with the
 * same key), so a stalled connection cannot hold the sync lock forever.
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
    const form = new FormData();
    form.set('storeId', audit.storeId);
    form.set('aisle', audit.aisle);
    const note = [audit.note ?? '', downscaleNote(audit.downscaledFrom)].filter(Boolean).join(' ');
    if (note) form.set('note', note);
    // Files last: multipart parsers may need the fields before the stream of the file.
    form.set(
      'image',
      new Blob([audit.photo], { type: audit.photoType }),
      'shelf' + extension(audit.photoType),
    );
    const sent: SentAudit = {
      idempotencyKey: audit.id,
      storeId: audit.storeId,
      aisle: audit.aisle,
      sha256: await sha256Hex(audit.photo),
    };
    let response: Response;
    try {
      response = await fetchFn(`${apiBase}/audits`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': audit.id },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      return { kind: 'retry', code: 'NETWORK', error: err instanceof Error ? err.message : String(err) };
    }
    return classifyResponse(response, sent);
  };
}

function extension(type: string): string {
  return type === 'image/png' ? '.png' : type === 'image/webp' ? '.webp' : '.jpg';
}
