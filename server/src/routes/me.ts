import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses, NoQuery } from '../schemas/common.js';

export const MeResponse = Type.Object({
  key: Type.Object({ name: Type.String() }),
  stores: Type.Array(Type.String(), { description: 'store ids the key may use; ["*"] = every store' }),
  limits: Type.Object(
    {
      maxPixels: Type.Integer({ description: 'largest image accepted, width x height (MAX_PIXELS)' }),
      maxBodyBytes: Type.Integer({ description: 'largest upload accepted, bytes (MAX_BODY_BYTES)' }),
    },
    { description: 'how far clients downscale before upload' },
  ),
});

/** GET /me: the cheap authenticated check for a client's setup and store picker. */
export default async function meRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/me',
    {
      schema: {
        summary: 'The calling API key, its stores and the upload limits',
        security: [{ apiKey: [] }],
        querystring: NoQuery,
        response: { 200: MeResponse, ...errorResponses(401, 429) },
      },
      onRequest: app.authenticate,
      config: { rateLimit: app.rateLimits.perKey },
    },
    async (request) => {
      const key = request.apiKey!;
      return {
        key: { name: key.name },
        stores: key.stores === '*' ? ['*'] : [...key.stores],
        limits: { maxPixels: app.config.MAX_PIXELS, maxBodyBytes: app.config.MAX_BODY_BYTES },
      };
    },
  );
}
