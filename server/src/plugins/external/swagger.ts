import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { IMAGE_BODY_DOC } from '../../schemas/common.js';

/** OpenAPI 3 generated from the route schemas: UI at /docs, JSON at /docs/json. */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      // Image routes take a Buffer or a multipart stream, which Ajv cannot validate; they describe
      // their request body for the docs under IMAGE_BODY_DOC (imageBodyDoc in schemas/common.ts).
      transform: ({ schema, url }) => {
        const s = schema as Record<string, unknown> | undefined;
        const doc = s?.[IMAGE_BODY_DOC];
        if (!s || !doc) return { schema, url };
        const { [IMAGE_BODY_DOC]: _, ...rest } = s;
        return { schema: { ...rest, body: doc } as typeof schema, url };
      },
      openapi: {
        info: {
          title: 'ShelfWatch API',
          description:
            'Shelf-photo product detection (POST /predict) and stored audits. Errors are `{ error: { code, message } }`.',
          version: '0.1.0',
        },
        components: {
          securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'API key' } },
        },
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  },
  { name: 'swagger', fastify: '5.x' },
);
