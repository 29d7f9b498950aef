import type { SqlClient } from './sql-client.js';

/** Versioned schema changes, applied in order at start, each once. Append; never edit a shipped one. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'audits',
    sql: `
      CREATE TABLE audits (
        id              uuid PRIMARY KEY,
        created_at      timestamptz NOT NULL DEFAULT now(),
        store_id        text NOT NULL,
        aisle           text NOT NULL,
        note            text,
        api_key_name    text NOT NULL,
        idempotency_key text,
        model_name      text NOT NULL,
        model_version   text NOT NULL,
        image_sha256    char(64) NOT NULL,
        image_width     integer NOT NULL,
        image_height    integer NOT NULL,
        count           integer NOT NULL,
        rows            jsonb NOT NULL,
        detections      jsonb NOT NULL,
        CONSTRAINT audits_idempotency UNIQUE (api_key_name, idempotency_key)
      );
      CREATE INDEX audits_store_created ON audits (store_id, created_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    name: 'photos and audit jobs',
    // photos: every audit's photo, kept as evidence for PHOTO_RETENTION_DAYS (bytes in `data` for the
    // PostgreSQL store, in S3 under the id otherwise). audit_jobs: one row per asynchronous submit, the
    // idempotency record and the status clients poll; its photo has the job's id. audits.job_id is
    // unique, so a job that runs twice (a worker presumed dead that was not) still stores one audit.
    // Photo bytes are stored out of line uncompressed (STORAGE EXTERNAL): JPEG does not compress, and
    // TOAST's attempt cost ~5 ms per 500 KB upload. photo_id is checked at commit: an audit is inserted first (it may turn out to be a twin), then
    // its photo.
    sql: `
      CREATE TABLE photos (
        id           uuid PRIMARY KEY,
        created_at   timestamptz NOT NULL DEFAULT now(),
        store_id     text NOT NULL,
        content_type text NOT NULL,
        byte_size    integer NOT NULL,
        sha256       char(64) NOT NULL,
        location     text NOT NULL CHECK (location IN ('postgres', 's3')),
        data         bytea
      );
      ALTER TABLE photos ALTER COLUMN data SET STORAGE EXTERNAL;
      CREATE INDEX photos_created ON photos (created_at);
      CREATE TABLE audit_jobs (
        id              uuid PRIMARY KEY,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now(),
        status          text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
        store_id        text NOT NULL,
        aisle           text NOT NULL,
        note            text,
        api_key_name    text NOT NULL,
        idempotency_key text,
        image_sha256    char(64) NOT NULL,
        options         jsonb NOT NULL,
        attempts        integer NOT NULL DEFAULT 0,
        audit_id        uuid REFERENCES audits (id),
        error_code      text,
        error_message   text,
        CONSTRAINT audit_jobs_idempotency UNIQUE (api_key_name, idempotency_key)
      );
      CREATE INDEX audit_jobs_pending ON audit_jobs (created_at) WHERE status IN ('queued', 'running');
      ALTER TABLE audits ADD COLUMN photo_id uuid REFERENCES photos (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;
      ALTER TABLE audits ADD COLUMN job_id uuid UNIQUE
    `,
  },
  {
    version: 3,
    name: 'dashboard aggregates',
    // The store dashboard (GET /stores/{storeId}/summary and .../aisles/{aisle}/history) aggregates
    // rows and gaps per audit. Both are stored generated columns, computed once from `rows` at insert
    // (jsonb_path_query_array is immutable), so the aggregates never parse JSON. The index serves
    // both queries: one store's aisles in time order, with the aggregated columns included, so the
    // history and the latest audit per aisle are read from the index alone. Adding the columns
    // rewrites the table once (minutes for millions of audits; see server/README.md).
    sql: `
      ALTER TABLE audits ADD COLUMN row_count integer GENERATED ALWAYS AS (jsonb_array_length(rows)) STORED;
      ALTER TABLE audits ADD COLUMN gap_count integer
        GENERATED ALWAYS AS (jsonb_array_length(jsonb_path_query_array(rows, '$[*].gaps[*]'))) STORED;
      CREATE INDEX audits_store_aisle_created ON audits (store_id, aisle, created_at DESC, id DESC)
        INCLUDE (count, row_count, gap_count, photo_id)
    `,
  },
];

/** Arbitrary constant naming the advisory lock that serialises migrations across replicas. */
const MIGRATION_LOCK = 73_110_401;

/**
 * Applies the pending migrations in one transaction. On PostgreSQL an advisory lock makes
 * replicas that start together wait for each other instead of racing.
 * @returns the versions applied now
 */
export async function migrate(db: SqlClient): Promise<number[]> {
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      // Statements one by one: the extended protocol (parameters) accepts a single statement.
      for (const statement of m.sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean))
        await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
