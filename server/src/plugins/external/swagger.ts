import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** OpenAPI 3 generated from the route schemas: UI at /docs, JSON at /docs/json. */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      // Image routes take a Buffer or a multipart stream, which Ajv cannot validate; their request
      // bodies are described here, for the docs only.
      transform: ({ schema, url }) => {
        const s = schema as { consumes?: string[]; body?: unknown } | undefined;
        if (!s?.consumes?.includes('image/jpeg') || s.body) return { schema, url };
        const binary = { schema: { type: 'string', format: 'binary' } };
        const fields =
          url === '/audits'
            ? { storeId: { type: 'string' }, aisle: { type: 'string' }, note: { type: 'string' } }
            : {};
        const body = {
          content: {
            'image/jpeg': binary,
            'image/png': binary,
            'image/webp': binary,
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['image', ...(url === '/audits' ? ['storeId', 'aisle'] : [])],
                properties: { image: { type: 'string', format: 'binary' }, ...fields },
              },
            },
          },
        };
        return { schema: { ...s, body } as typeof schema, url };
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
