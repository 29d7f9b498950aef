import type { SqlClient, SqlRunner } from '../db/sql-client.js';

/** A photo to keep: the uploaded bytes exactly as received. */
export interface NewPhoto {
  id: string;
  storeId: string;
  bytes: Uint8Array;
  /** Hex SHA-256 of `bytes` (the audit's `image.sha256`). */
  sha256: string;
}

export interface StoredPhoto {
  bytes: Buffer;
  contentType: string;
  sha256: string;
}

/**
 * Where audit photos are kept. Every photo has a metadata row in `photos` (written in the caller's
 * transaction, so a photo exists exactly when the audit or job that names it does); the bytes go
 * in the same row (PostgreSQL) or to object storage (S3).
 */
export interface PhotoStore {
  readonly kind: 'postgres' | 's3';
  /**
   * Keeps a photo as part of transaction `tx`; an id already kept is left as it is. The S3 store
   * uploads first (an object of a transaction that then rolls back is removed by `discard`).
   */
  put(tx: SqlRunner, photo: NewPhoto): Promise<void>;
  /** Removes what `put` wrote outside the transaction, after a rollback; nothing for PostgreSQL. */
  discard(id: string): Promise<void>;
  get(id: string): Promise<StoredPhoto | null>;
  /**
   * Deletes up to `limit` photos created before `before`, except those of jobs still queued or
   * running (their worker needs them). Audits keep their record; their photo reads as gone.
   * @returns how many were deleted
   */
  deleteOlderThan(before: Date, limit: number): Promise<number>;
}

/**
 * The type a kept photo is served with, from its magic bytes (the upload's own header may have been
 * multipart's or wrong). Only JPEG, PNG and WebP ever become audits.
 */
export function imageContentType(bytes: Uint8Array): string {
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(1, 4) === 'PNG' && bytes[0] === 0x89) return 'image/png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}

interface PhotoRow {
  content_type: string;
  sha256: string;
  location: 'postgres' | 's3';
  data: Uint8Array | null;
}

/** Photos that retention may delete: old enough, and not the input of a job still to run. */
const EXPIRED = `created_at < $1 AND NOT EXISTS (
  SELECT 1 FROM audit_jobs j WHERE j.id = photos.id AND j.status IN ('queued', 'running'))`;

/** The metadata row both stores share; subclasses decide where the bytes live. */
export abstract class SqlPhotoStore implements PhotoStore {
  abstract readonly kind: 'postgres' | 's3';

  constructor(protected readonly db: SqlClient) {}

  abstract put(tx: SqlRunner, photo: NewPhoto): Promise<void>;
  abstract discard(id: string): Promise<void>;
  /** The bytes of a photo whose row says they are elsewhere. */
  protected abstract readBytes(id: string): Promise<Buffer | null>;
  /** Deletes the bytes kept elsewhere for these ids (before their rows go). */
  protected abstract removeBytes(ids: string[]): Promise<void>;

  protected async insertRow(tx: SqlRunner, photo: NewPhoto, data: Uint8Array | null): Promise<void> {
    await tx.query(
      `INSERT INTO photos (id, store_id, content_type, byte_size, sha256, location, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
      [
        photo.id,
        photo.storeId,
        imageContentType(photo.bytes),
        photo.bytes.length,
        photo.sha256,
        this.kind,
        data,
      ],
    );
  }

  async get(id: string): Promise<StoredPhoto | null> {
    const { rows } = await this.db.query<PhotoRow>(
      'SELECT content_type, sha256, location, data FROM photos WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    // pg returns a Buffer, PGlite a Uint8Array.
    const bytes = row.data
      ? Buffer.from(row.data.buffer, row.data.byteOffset, row.data.length)
      : await this.readBytes(id);
    return bytes ? { bytes, contentType: row.content_type, sha256: row.sha256.trim() } : null;
  }

  async deleteOlderThan(before: Date, limit: number): Promise<number> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM photos WHERE ${EXPIRED} ORDER BY created_at LIMIT $2`,
      [before.toISOString(), limit],
    );
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) return 0;
    await this.removeBytes(ids);
    await this.db.query('DELETE FROM photos WHERE id = ANY($1::uuid[])', [ids]);
    return ids.length;
  }
}

/** Photos as `bytea` in the audit database: no other service, in the same transaction as the job. */
export class PostgresPhotoStore extends SqlPhotoStore {
  readonly kind = 'postgres' as const;

  put(tx: SqlRunner, photo: NewPhoto): Promise<void> {
    return this.insertRow(tx, photo, photo.bytes);
  }

  async discard(): Promise<void> {}

  protected async readBytes(): Promise<Buffer | null> {
    return null;
  }

  protected async removeBytes(): Promise<void> {}
}

/**
 * Runs `fn` in one transaction of `db`; `keep` stores a photo as part of it. After a rollback, what
 * `keep` wrote outside the database (S3 objects) is removed again, so nothing outlives a failed write.
 */
export async function transactionKeepingPhotos<T>(
  db: SqlClient,
  store: PhotoStore,
  fn: (tx: SqlRunner, keep: (photo: NewPhoto) => Promise<void>) => Promise<T>,
): Promise<T> {
  const kept: string[] = [];
  try {
    return await db.transaction((tx) =>
      fn(tx, async (photo) => {
        kept.push(photo.id);
        await store.put(tx, photo);
      }),
    );
  } catch (err) {
    await Promise.allSettled(kept.map((id) => store.discard(id)));
    throw err;
  }
}
