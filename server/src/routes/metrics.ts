import type { FastifyInstance } from 'fastify';

/** Prometheus text exposition of the app's registry. */
export default async function metricsRoutes(app: FastifyInstance) {
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', hide: false }, logLevel: 'warn' },
    async (_request, reply) => {
      reply.header('content-type', app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
}
