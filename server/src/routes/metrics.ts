import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { NoQuery } from '../schemas/common.js';

/** Prometheus text exposition of the app's registry. */
export default async function metricsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', hide: false, querystring: NoQuery }, logLevel: 'warn' },
    async (_request, reply) => {
      reply.header('content-type', app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    },
  );
}
