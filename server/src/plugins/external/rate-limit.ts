import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.js';

/**
 * Per-client (IP) limit, opt-in per route (`config.rateLimit`): the inference routes use it, health
 * and metrics never do. In-memory store: each replica limits on its own.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(rateLimit, {
      global: false,
      max: app.config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) => {
        app.metrics.rejected.inc({ code: 'RATE_LIMITED' });
        return new ApiError(
          'RATE_LIMITED',
          `Rate limit of ${context.max} requests per minute exceeded; retry in ${context.after}.`,
        );
      },
    });
  },
  { name: 'rate-limit', dependencies: ['env', 'metrics'], fastify: '5.x' },
);
