import { randomUUID } from 'node:crypto';
import type { PredictResult } from '@shelfwatch/shared';
import type { Static } from '@sinclair/typebox';
import type { AuditRecord as AuditRecordSchema } from '../schemas/audits.js';
import type { SqlClient, SqlRunner } from './sql-client.js';

/**
 * A stored audit as the API returns it: the type of the response schema (`schemas/audits.ts`), so
 * the record and the contract cannot differ. Audits stored before detections had `row` and rows
 * had `line` lack them.
 */
export type AuditRecord = Static<typeof AuditRecordSchema>;

export interface NewAudit extends Omit<AuditRecord, 'id' | 'createdAt'> {
  apiKeyName: string;
  idempotencyKey: string | null;
  /** The stored photo (photos.id), if one was kept. */
  photoId?: string | null;
  /** The asynchronous job that produced it; at most one audit per job. */
  jobId?: string | null;
}

/**
 * The audit of one prediction: what the synchronous route and an audit job both store.
 * @param fields who stored it and about what; `sha256` is the photo's
 */
export function newAudit(
  result: PredictResult,
  fields: Pick<
    NewAudit,
    'storeId' | 'aisle' | 'note' | 'apiKeyName' | 'idempotencyKey' | 'photoId' | 'jobId'
  > & {
    sha256: string;
  },
): NewAudit {
  const { sha256, ...rest } = fields;
  return {
    ...rest,
    model: result.model,
    count: result.count,
    rows: result.shelf.rows,
    detections: result.detections,
    image: { width: result.image.width, height: result.image.height, sha256 },
  };
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
  rows: AuditRecord['rows'] | string;
  detections: AuditRecord['detections'] | string;
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
  async findByIdempotencyKey(
    apiKeyName: string,
    key: string,
    runner: SqlRunner = this.db,
  ): Promise<AuditRecord | null> {
    const { rows } = await runner.query<AuditRow>(
      `SELECT ${COLUMNS} FROM audits WHERE api_key_name = $1 AND idempotency_key = $2`,
      [apiKeyName, key],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * Stores an audit. With an idempotency key already used by the same API key (a concurrent retry),
   * or a job that already stored its audit, nothing is inserted and the first record comes back with
   * `created: false`.
   * @param runner a transaction to write in (default: the pool)
   */
  async insert(
    audit: NewAudit,
    runner: SqlRunner = this.db,
  ): Promise<{ record: AuditRecord; created: boolean }> {
    // No conflict target: either unique constraint (idempotency key, job id) makes it a twin.
    const { rows } = await runner.query<AuditRow>(
      `INSERT INTO audits (id, store_id, aisle, note, api_key_name, idempotency_key, model_name, model_version,
         image_sha256, image_width, image_height, count, rows, detections, photo_id, job_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16)
       ON CONFLICT DO NOTHING
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
        audit.photoId ?? null,
        audit.jobId ?? null,
      ],
    );
    if (rows[0]) return { record: toRecord(rows[0]), created: true };
    const { rows: twins } = await runner.query<AuditRow>(
      `SELECT ${COLUMNS} FROM audits
       WHERE (api_key_name = $1 AND idempotency_key = $2) OR job_id = $3
       ORDER BY (job_id = $3) DESC NULLS LAST LIMIT 1`,
      [audit.apiKeyName, audit.idempotencyKey, audit.jobId ?? null],
    );
    if (!twins[0]) throw new Error('audit insert returned no row and no idempotent twin');
    return { record: toRecord(twins[0]), created: false };
  }

  /** The photo kept for an audit (photos.id), or null: none stored, or past its retention. */
  async photoId(auditId: string): Promise<{ storeId: string; photoId: string | null } | null> {
    const { rows } = await this.db.query<{ store_id: string; photo_id: string | null }>(
      'SELECT store_id, photo_id FROM audits WHERE id = $1',
      [auditId],
    );
    return rows[0] ? { storeId: rows[0].store_id, photoId: rows[0].photo_id } : null;
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
