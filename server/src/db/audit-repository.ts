import { randomUUID } from 'node:crypto';
import type { Detection, ShelfRow } from '@shelfwatch/shared';
import type { SqlClient } from './sql-client.js';

/** A stored audit as the API returns it. */
export interface AuditRecord {
  id: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  storeId: string;
  aisle: string;
  note: string | null;
  model: { name: string; version: string };
  count: number;
  rows: ShelfRow[];
  detections: Detection[];
  image: { width: number; height: number; sha256: string };
}

export interface NewAudit extends Omit<AuditRecord, 'id' | 'createdAt'> {
  apiKeyName: string;
  idempotencyKey: string | null;
}

interface AuditRow {
  id: string;
  created_at: Date | string;
  store_id: string;
  aisle: string;
  note: string | null;
  model_name: string;
  model_version: string;
  count: number;
  rows: ShelfRow[] | string;
  detections: Detection[] | string;
  image_sha256: string;
  image_width: number;
  image_height: number;
}

const COLUMNS =
  'id, created_at, store_id, aisle, note, model_name, model_version, count, rows, detections, image_sha256, image_width, image_height';

function toRecord(r: AuditRow): AuditRecord {
  const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  return {
    id: r.id,
    createdAt: new Date(r.created_at).toISOString(),
    storeId: r.store_id,
    aisle: r.aisle,
    note: r.note,
    model: { name: r.model_name, version: r.model_version },
    count: Number(r.count),
    rows: json(r.rows),
    detections: json(r.detections),
    image: { width: Number(r.image_width), height: Number(r.image_height), sha256: r.image_sha256.trim() },
  };
}

/** Audit persistence; the same SQL on PostgreSQL and PGlite. */
export class AuditRepository {
  constructor(private readonly db: SqlClient) {}

  /** The record an API key already stored under an idempotency key, if any. */
  async findByIdempotencyKey(apiKeyName: string, key: string): Promise<AuditRecord | null> {
    const { rows } = await this.db.query<AuditRow>(
      `SELECT ${COLUMNS} FROM audits WHERE api_key_name = $1 AND idempotency_key = $2`,
      [apiKeyName, key],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Stores an audit. With an idempotency key already used by the same API key (a concurrent retry),
   * nothing is inserted and the first record comes back with `created: false`.
   */
  async insert(audit: NewAudit): Promise<{ record: AuditRecord; created: boolean }> {
    const { rows } = await this.db.query<AuditRow>(
      `INSERT INTO audits (id, store_id, aisle, note, api_key_name, idempotency_key, model_name, model_version,
         image_sha256, image_width, image_height, count, rows, detections)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb)
       ON CONFLICT ON CONSTRAINT audits_idempotency DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        randomUUID(),
        audit.storeId,
        audit.aisle,
        audit.note,
        audit.apiKeyName,
        audit.idempotencyKey,
        audit.model.name,
        audit.model.version,
        audit.image.sha256,
        audit.image.width,
        audit.image.height,
        audit.count,
        JSON.stringify(audit.rows),
        JSON.stringify(audit.detections),
      ],
    );
    if (rows[0]) return { record: toRecord(rows[0]), created: true };
    const existing = audit.idempotencyKey
      ? await this.findByIdempotencyKey(audit.apiKeyName, audit.idempotencyKey)
      : null;
    if (!existing) throw new Error('audit insert returned no row and no idempotent twin');
    return { record: existing, created: false };
  }

  async get(id: string): Promise<AuditRecord | null> {
    const { rows } = await this.db.query<AuditRow>(`SELECT ${COLUMNS} FROM audits WHERE id = $1`, [id]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Newest first.
   * @param stores the store ids the caller may see, or `'*'` for all
   */
  async list(filter: {
    stores: readonly string[] | '*';
    storeId?: string;
    since?: string;
    limit: number;
  }): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.stores !== '*') {
      params.push([...filter.stores]);
      where.push(`store_id = ANY($${params.length}::text[])`);
    }
    if (filter.storeId !== undefined) {
      params.push(filter.storeId);
      where.push(`store_id = $${params.length}`);
    }
    if (filter.since !== undefined) {
      params.push(filter.since);
      where.push(`created_at >= $${params.length}::timestamptz`);
    }
    params.push(filter.limit);
    const { rows } = await this.db.query<AuditRow>(
      `SELECT ${COLUMNS} FROM audits ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRecord);
  }

  /** Cheap reachability check for readiness. */
  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }
}
