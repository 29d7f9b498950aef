import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AuditRepository } from '../../db/audit-repository.js';
import { migrate } from '../../db/migrations.js';
import { createPgliteClient, createPostgresClient, type SqlClient } from '../../db/sql-client.js';

declare module 'fastify' {
  interface FastifyInstance {
    audits: AuditRepository;
    db: SqlClient;
  }
}

/** Opens PostgreSQL (DATABASE_URL) or PGlite (DATA_DIR), runs the migrations, exposes the repository. */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const db = config.DATABASE_URL
      ? createPostgresClient(config.DATABASE_URL)
      : await createPgliteClient(config.DATA_DIR_RESOLVED);
    try {
      const applied = await migrate(db);
      app.log.info(
        { backend: db.kind, applied, dataDir: db.kind === 'pglite' ? config.DATA_DIR_RESOLVED : undefined },
        'database ready',
      );
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    app.decorate('db', db);
    app.decorate('audits', new AuditRepository(db));
    app.addHook('onClose', async () => {
      await db.close();
    });
  },
  { name: 'audit-store', dependencies: ['env'], fastify: '5.x' },
);
