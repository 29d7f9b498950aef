import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../schemas/common.js';

const Checks = Type.Object({
  model: Type.Boolean(),
  workers: Type.Integer(),
  database: Type.Boolean(),
  queue: Type.Boolean(),
  shuttingDown: Type.Boolean(),
});
const Ready = Type.Object({ status: Type.String(), checks: Checks });
const NotReady = Type.Object({
  status: Type.String(),
  checks: Checks,
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

/** Liveness (the event loop answers) and readiness (model loaded, workers serving, database reachable). */
export default async function healthRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process answers',
        querystring: NoQuery,
        response: { 200: Type.Object({ status: Type.String() }) },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: model loaded and workers serving, database reachable, not shutting down',
        querystring: NoQuery,
        response: { 200: Ready, 503: NotReady },
      },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const database = await Promise.race([
        (app.dbReady() ? app.audits.ping() : Promise.reject(new Error('not migrated'))).then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(resolve, 2_000, false).unref()),
      ]);
      // Workers that cannot serve (a replacement that cannot load the model, a run of failed tasks)
      // make the pod unready; one probe image then tells whether they have recovered.
      const serving = app.inference.isReady() || (await app.inference.probe());
      const checks = {
        model: serving,
        workers: app.inference.workersAlive(),
        database,
        queue: app.jobs.isReady(),
        shuttingDown: app.shuttingDown,
      };
      if (checks.model && checks.workers > 0 && database && checks.queue && !app.shuttingDown)
        return { status: 'ok', checks };
      const failing = Object.entries({
        model: checks.model,
        workers: checks.workers > 0,
        database,
        queue: checks.queue,
        running: !app.shuttingDown,
      })
        .filter(([, ok]) => !ok)
        .map(([name]) => name);
      app.metrics.rejected.inc({ code: 'NOT_READY' });
      return reply.code(503).send({
        status: 'unavailable',
        checks,
        error: { code: 'NOT_READY', message: `Not ready: ${failing.join(', ')}.` },
      });
    },
  );
}
