/** Sends one queued audit to `POST /audits` (multipart: image, storeId, aisle, note) with its Idempotency-Key. */
import { isApiErrorBody } from '@shelfwatch/shared';
import type { AuditRecord } from '../storage/db.ts';
import type { SendResult } from './audit-queue.ts';

/** Parses `Retry-After` (seconds or HTTP date) into ms. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Maps an HTTP answer to a queue outcome: 2xx sent; 408/429/5xx retried; other 4xx refused for good. */
export async function classifyResponse(response: Response): Promise<SendResult> {
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const rec = (body ?? {}) as { id?: string | number; count?: number };
    const result: SendResult = { kind: 'sent', serverId: String(rec.id ?? '') };
    if (typeof rec.count === 'number') result.count = rec.count;
    return result;
  }
  const error = isApiErrorBody(body)
    ? `${body.error.code}: ${body.error.message}`
    : `HTTP ${response.status}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    const after = retryAfterMs(response.headers.get('retry-after'));
    return after === undefined ? { kind: 'retry', error } : { kind: 'retry', error, retryAfterMs: after };
  }
  return { kind: 'rejected', error };
}

/**
 * Builds a sender bound to an API base URL (same origin by default). A send that gets no answer
 * within `timeoutMs` counts as a network failure (retried with the same key), so a stalled
 * connection cannot hold the sync lock forever.
 */
export function httpAuditSender(
  apiBase = '',
  fetchFn: typeof fetch = (...a) => fetch(...a),
  timeoutMs = 30_000,
) {
  return async (audit: AuditRecord): Promise<SendResult> => {
    const form = new FormData();
    form.set('storeId', audit.storeId);
    form.set('aisle', audit.aisle);
    if (audit.note) form.set('note', audit.note);
    // Files last: multipart parsers may need the fields before the stream of the file.
    form.set(
      'image',
      new Blob([audit.photo], { type: audit.photoType }),
      'shelf' + extension(audit.photoType),
    );
    let response: Response;
    try {
      response = await fetchFn(`${apiBase}/audits`, {
        method: 'POST',
        headers: { authorization: `Bearer ${audit.apiKey}`, 'idempotency-key': audit.id },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      return { kind: 'retry', error: `network: ${err instanceof Error ? err.message : String(err)}` };
    }
    return classifyResponse(response);
  };
}

function extension(type: string): string {
  return type === 'image/png' ? '.png' : type === 'image/webp' ? '.webp' : '.jpg';
}
