import { randomBytes } from 'node:crypto';
import { prerequisite } from '@shelfwatch/test-utils';
import pg from 'pg';

/** The PostgreSQL the development and CI machines run (docs/ARCHITECTURE.md): trust auth, database `test`. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Whether the PostgreSQL tests run: true when it answers; when it does not, false (they skip, with a
 * message) locally and a failure under CI=true, where it is part of the machine.
 */
export async function usePostgres(): Promise<boolean> {
  return prerequisite(
    `PostgreSQL at ${TEST_PG_URL}`,
    await postgresReachable(),
    'pg_ctlcluster ... main start',
  );
}

/**
 * A fresh schema for one test run, so runs never see each other's rows. The returned URL makes
 * every pooled connection use it (`options=-c search_path=...`); `jobSchema` is a name for
 * pg-boss's own schema (JOB_SCHEMA), which pg-boss creates; `drop` removes both.
 */
export async function createTestSchema(): Promise<{
  url: string;
  jobSchema: string;
  env: { DATABASE_URL: string; JOB_SCHEMA: string };
  drop: () => Promise<void>;
}> {
  const schema = `shelfwatch_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const jobSchema = `${schema}_boss`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    jobSchema,
    env: { DATABASE_URL: url.toString(), JOB_SCHEMA: jobSchema },
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${jobSchema} CASCADE`);
      await c.end();
    },
  };
}
