/**
 * `GET /me`: the cheap authenticated check of an API key. With `Authorization: Bearer <key>` the
 * server answers `{ key: { name }, stores: string[], limits: { maxPixels, maxBodyBytes } }`
 * (`stores` may be `["*"]`: every store). First-run setup and Settings call it as soon as a key is
 * entered; the answer is kept so the store picker and the upload limits work offline.
 */
import { isApiErrorBody } from '@shelfwatch/shared';
import type { ServerLimits } from '../photo/limits.ts';
import { describeError, type PlainError } from './messages.ts';

export interface KeyInfo {
  keyName: string;
  /** Store ids the key may file audits for; `['*']` = any store. */
  stores: string[];
  limits: ServerLimits;
  /** When the server confirmed it (epoch ms). */
  checkedAt: number;
}

export type KeyCheck = { ok: true; info: KeyInfo } | { ok: false; error: PlainError; status?: number };

const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** The `GET /me` body, or undefined when it is not one (e.g. a captive portal's page). */
export function parseMe(body: unknown, now: number = Date.now()): KeyInfo | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const b = body as {
    key?: { name?: unknown };
    stores?: unknown;
    limits?: { maxPixels?: unknown; maxBodyBytes?: unknown };
  };
  if (typeof b.key?.name !== 'string') return undefined;
  if (!Array.isArray(b.stores) || !b.stores.every((s) => typeof s === 'string')) return undefined;
  if (!positiveInt(b.limits?.maxPixels) || !positiveInt(b.limits?.maxBodyBytes)) return undefined;
  return {
    keyName: b.key.name,
    stores: b.stores as string[],
    limits: { maxPixels: b.limits.maxPixels, maxBodyBytes: b.limits.maxBodyBytes },
    checkedAt: now,
  };
}

/** Whether the key may audit `storeId`. */
export function keyAllowsStore(info: KeyInfo, storeId: string): boolean {
  return info.stores.includes('*') || info.stores.includes(storeId);
}

/** Asks the server about `apiKey`. Never throws: a failure is a plain-language error. */
export async function checkKey(
  apiKey: string,
  apiBase = '',
  fetchFn: typeof fetch = (...a) => fetch(...a),
  timeoutMs = 10_000,
): Promise<KeyCheck> {
  if (!apiKey.trim()) return { ok: false, error: describeError('NO_API_KEY') };
  let response: Response;
  try {
    response = await fetchFn(`${apiBase}/me`, {
      headers: { authorization: `Bearer ${apiKey.trim()}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return { ok: false, error: describeError('NETWORK') };
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 200) {
    const info = parseMe(body);
    if (info) return { ok: true, info };
    return { ok: false, status: 200, error: describeError('INVALID_RESPONSE') };
  }
  // A server from before `GET /me`: nothing to check against (not the key's fault).
  if (response.status === 404)
    return { ok: false, status: 404, error: describeError('KEY_CHECK_UNAVAILABLE') };
  if (isApiErrorBody(body)) {
    return {
      ok: false,
      status: response.status,
      error: describeError(body.error.code, body.error.message, response.status),
    };
  }
  return { ok: false, status: response.status, error: describeError('INVALID_RESPONSE') };
}
