import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AuditRepository } from '../../db/audit-repository.js';
import { migrate } from '../../db/migrations.js';
import { createPgliteClient, createPostgresClient, type SqlClient } from '../../db/sql-client.js';
import { ApiError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    audits: AuditRepository;
    db: SqlClient;
    /** True once the migrations have run; until then audit routes answer 503 NOT_READY. */
    dbReady: () => boolean;
  }
}

const RETRY_MS = 2_000;

/**
 * Opens PostgreSQL (DATABASE_URL) or PGlite (DATA_DIR), runs the migrations, exposes the repository.
 * PostgreSQL that is down at start does not stop the server: /predict works, /health/ready and the
 * audit routes answer 503 while the migrations are retried in the background.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const db = config.DATABASE_URL
      ? createPostgresClient(config.DATABASE_URL)
      : await createPgliteClient(config.DATA_DIR_RESOLVED);
    let ready = false;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const attempt = async (): Promise<void> => {
      try {
        const applied = await migrate(db);
        ready = true;
        app.log.info(
          { backend: db.kind, applied, dataDir: db.kind === 'pglite' ? config.DATA_DIR_RESOLVED : undefined },
          'database ready',
        );
      } catch (err) {
        if (db.kind === 'pglite') throw err; // a local directory problem will not fix itself
        if (closed) return;
        app.log.error({ err }, `database unavailable; retrying migrations in ${RETRY_MS} ms`);
        timer = setTimeout(() => void attempt(), RETRY_MS);
        timer.unref();
      }
    };
    try {
      await attempt();
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    const repository = new AuditRepository(db);
    app.decorate('db', db);
    app.decorate('dbReady', () => ready);
    app.decorate('audits', repository);
    app.addHook('onRequest', async (request) => {
      if (!ready && (request.url.startsWith('/audits') || request.url.startsWith('/stores/'))) {
        throw new ApiError('NOT_READY', 'The audit database is not reachable yet; try again shortly.', {
          headers: { 'retry-after': String(RETRY_MS / 1000) },
        });
      }
    });
    app.addHook('onClose', async () => {
      closed = true;
      clearTimeout(timer);
      await db.close();
    });
  },
  { name: 'audit-store', dependencies: ['env'], fastify: '5.x' },
);
