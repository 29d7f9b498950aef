import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The little SQL surface both backends share: the same SQL text runs on PostgreSQL and PGlite. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface SqlClient extends SqlRunner {
  kind: 'postgres' | 'pglite';
  /** The embedded instance (PGlite only): pg-boss runs on it through its own adapter. */
  pglite?: PGlite;
  /** Runs `fn` in one transaction on one connection. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL through a `pg` pool (production, `DATABASE_URL`). */
export function createPostgresClient(connectionString: string): SqlClient {
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    query: async (text, params) => pool.query(text, params as unknown[]) as never,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({
          query: async (text, params) => client.query(text, params as unknown[]) as never,
        });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** Embedded PostgreSQL (PGlite, WASM) in a data directory: the laptop and single-node default. */
export async function createPgliteClient(dataDir: string): Promise<SqlClient> {
  await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    kind: 'pglite',
    pglite: db,
    query: async (text, params) => db.query(text, params) as never,
    transaction: (fn) =>
      db.transaction((tx) => fn({ query: async (text, params) => tx.query(text, params) as never })),
    close: () => db.close(),
  };
}
