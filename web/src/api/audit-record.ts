/**
 * Is this answer really our stored audit? A captive portal, a proxy's error page or a stale cache can
 * answer `POST /audits` with a 200; counting that as stored would lose the audit. A send counts as
 * stored only when the server answers 201 or 200 with an audit record for *this* upload: a UUID id,
 * the store and aisle we sent, and the SHA-256 of the photo bytes we sent (or, where the server echoes
 * it, our Idempotency-Key).
 */

/** The fields of the server's audit record the PWA relies on (server/src/schemas/audits.ts). */
export interface StoredAudit {
  id: string;
  createdAt: string;
  storeId: string;
  aisle: string;
  count: number;
  model: { name: string; version: string };
  rows: { count: number; gaps: unknown[] }[];
  image: { width: number; height: number; sha256: string };
}

export interface ExpectedAudit {
  idempotencyKey: string;
  storeId: string;
  aisle: string;
  /** Hex SHA-256 of the uploaded photo bytes. */
  sha256: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why `body` does not have the shape of an audit record, or undefined when it has. */
export function auditRecordShapeError(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return 'the answer is not an audit record';
  const r = body as Partial<StoredAudit>;
  if (typeof r.id !== 'string' || !UUID.test(r.id)) return 'the answer has no audit id';
  if (typeof r.createdAt !== 'string' || Number.isNaN(Date.parse(r.createdAt)))
    return 'the answer has no creation time';
  if (!Number.isInteger(r.count) || (r.count as number) < 0) return 'the answer has no count';
  if (!Array.isArray(r.rows) || !r.rows.every((row) => Array.isArray(row?.gaps)))
    return 'the answer has no rows';
  if (typeof r.storeId !== 'string' || typeof r.aisle !== 'string') return 'the answer has no store or aisle';
  if (typeof r.image?.sha256 !== 'string' || typeof r.model?.version !== 'string')
    return 'the answer has no image or model';
  return undefined;
}

/** A reason why `body` is not the expected record, or undefined when it is. */
export function auditRecordMismatch(
  body: unknown,
  expected: ExpectedAudit,
  echoedKey?: string | null,
): string | undefined {
  const shape = auditRecordShapeError(body);
  if (shape) return shape;
  const r = body as StoredAudit & { idempotencyKey?: unknown };
  if (r.storeId !== expected.storeId || r.aisle !== expected.aisle)
    return 'the answer is for another store or aisle';
  if (r.image.sha256.toLowerCase() !== expected.sha256.toLowerCase()) {
    return 'the answer is for another photo';
  }
  for (const key of [r.idempotencyKey, echoedKey]) {
    if (key !== undefined && key !== null && key !== expected.idempotencyKey)
      return 'the answer is for another Idempotency-Key';
  }
  return undefined;
}

/** Hex SHA-256 of `bytes` (WebCrypto, in pages and workers). */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
