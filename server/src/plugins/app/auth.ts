import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ApiKey, ApiKeyRing, DEV_API_KEY, DEV_STORE } from '../../auth/api-keys.js';
import { ApiError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: 401 unless `Authorization: Bearer <key>` names a configured key. */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
  interface FastifyRequest {
    apiKey: ApiKey | null;
  }
}

/** Bearer API keys from API_KEYS (hashed), each limited to a set of store ids. */
export default fp(
  async (app: FastifyInstance) => {
    const { ring, development } = ApiKeyRing.fromEnv(app.config.API_KEYS);
    if (development) {
      app.log.warn(
        `API_KEYS is unset: using the development key "${DEV_API_KEY}" for store "${DEV_STORE}". Set API_KEYS in production.`,
      );
    }
    app.decorateRequest('apiKey', null);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const key = match ? ring.verify(match[1]!) : null;
      if (!key) throw new ApiError('UNAUTHORIZED', undefined, { headers: { 'www-authenticate': 'Bearer' } });
      request.apiKey = key;
    });
  },
  { name: 'auth', dependencies: ['env'], fastify: '5.x' },
);
