import { parseArgs } from 'node:util';
import { loadConfig } from './config.js';
import { migrate } from './db/migrations.js';
import { insertAudits, syntheticAudits } from './db/seed-audits.js';
import { createPgliteClient, createPostgresClient } from './db/sql-client.js';

export const SEED_USAGE = `       shelfwatch seed --store <id> [--aisles 20] [--per-day 2] [--days 365] [--until <date-time>] [--seed 1]

seed: stores synthetic audits (model "synthetic", no photos) for a store in the configured database
(DATABASE_URL, or the PGlite DATA_DIR while no server has it open), for demos and the dashboard
benchmark: --aisles aisles audited --per-day times a day for --days days before --until (default now).`;

/** A command line the command does not take (exit status 2, as for every usage error). */
export class UsageError extends Error {}

function int(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max)
    throw new UsageError(`--${name} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** `shelfwatch seed`: synthetic audits into the configured database. */
export async function seed(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      store: { type: 'string' },
      aisles: { type: 'string' },
      'per-day': { type: 'string' },
      days: { type: 'string' },
      until: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  if (positionals.length > 0 || !values.store)
    throw new UsageError(`seed needs --store and no other arguments\n\n${SEED_USAGE}`);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(values.store))
    throw new UsageError('--store is not a store id (A-Z a-z 0-9 . _ : -)');
  const until = values.until === undefined ? new Date() : new Date(values.until);
  if (Number.isNaN(until.getTime())) throw new UsageError('--until is not a date-time');
  const audits = syntheticAudits({
    storeId: values.store,
    aisles: int('aisles', values.aisles, 20, 500),
    perDay: int('per-day', values['per-day'], 2, 100),
    days: int('days', values.days, 365, 3660),
    until,
    seed: int('seed', values.seed, 1, 2 ** 31),
  });
  const config = loadConfig();
  const db = config.DATABASE_URL
    ? createPostgresClient(config.DATABASE_URL)
    : await createPgliteClient(config.DATA_DIR_RESOLVED);
  try {
    await migrate(db);
    const t0 = performance.now();
    const stored = await insertAudits(db, audits);
    const where = db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite ${config.DATA_DIR_RESOLVED}`;
    process.stdout.write(
      `stored ${stored} synthetic audits for store ${values.store} in ${where} (${Math.round(performance.now() - t0)} ms)\n`,
    );
  } finally {
    await db.close();
  }
}
