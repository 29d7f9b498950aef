import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ApiKey, ApiKeyRing, DEV_API_KEY, DEV_STORE } from '../../auth/api-keys.js';
import { FailureThrottle } from '../../auth/failure-throttle.js';
import { ApiError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook: 401 unless `Authorization: Bearer <key>` names a configured key; 429 for a
     * client past AUTH_FAILURES_PER_MINUTE failed attempts.
     */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    apiKey: ApiKey | null;
  }
}

/**
 * Bearer API keys from API_KEYS (hashed), each limited to a set of store ids. Without API_KEYS the
 * server refuses to start, unless DEV_MODE allows the public development key.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const { ring, development } = ApiKeyRing.fromEnv(config.API_KEYS, { devMode: config.DEV_MODE });
    if (development) {
      app.log.warn(
        `DEV_MODE without API_KEYS: accepting the public development key "${DEV_API_KEY}" for store "${DEV_STORE}". Never run this in production.`,
      );
    }
    const throttle =
      config.AUTH_FAILURES_PER_MINUTE > 0
        ? new FailureThrottle(config.AUTH_FAILURES_PER_MINUTE, 60_000)
        : null;
    app.decorateRequest('apiKey', null);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      // request.ip honours only the proxies TRUST_PROXY names, so a client cannot pick its own bucket.
      const blockedMs = throttle?.blockedFor(request.ip) ?? 0;
      if (blockedMs > 0) {
        app.metrics.rejected.inc({ code: 'AUTH_THROTTLED' });
        throw new ApiError('AUTH_THROTTLED', undefined, {
          headers: { 'retry-after': String(Math.ceil(blockedMs / 1000)) },
        });
      }
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const key = match ? ring.verify(match[1]!) : null;
      if (!key) {
        // Only a presented key is a guess; a request without one (a first run) is not counted.
        if (match) throttle?.recordFailure(request.ip);
        throw new ApiError('UNAUTHORIZED', undefined, { headers: { 'www-authenticate': 'Bearer' } });
      }
      request.apiKey = key;
    });
  },
  { name: 'auth', dependencies: ['env', 'metrics'], fastify: '5.x' },
);
