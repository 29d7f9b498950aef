import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Route `config.rateLimit` values; `false` when the limit is 0 (off). */
    rateLimits: {
      /** RATE_LIMIT_PER_MINUTE per client IP (anonymous `POST /predict`). */
      perIp: RateLimitOptions | false;
      /**
       * KEY_RATE_LIMIT_PER_MINUTE per API key (the authenticated routes): a store's phones share
       * one NAT address, and an IP limit would let one key spread over many addresses.
       */
      perKey: RateLimitOptions | false;
    };
  }
}

/**
 * Rate limits, opt-in per route (`config.rateLimit`); health and metrics never have one. The
 * client IP is `request.ip`, which honours only the proxies TRUST_PROXY names. In-memory store:
 * each replica limits on its own.
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
    const perKey = app.config.KEY_RATE_LIMIT_PER_MINUTE;
    app.decorate('rateLimits', {
      perIp: app.config.RATE_LIMIT_PER_MINUTE > 0 ? {} : false,
      perKey:
        perKey > 0
          ? {
              max: perKey,
              // Runs after `authenticate` (a context hook), so the key is known.
              keyGenerator: (request: FastifyRequest) =>
                request.apiKey ? `key:${request.apiKey.name}` : `ip:${request.ip}`,
            }
          : false,
    });
  },
  { name: 'rate-limit', dependencies: ['env', 'metrics'], fastify: '5.x' },
);
