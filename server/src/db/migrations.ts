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
