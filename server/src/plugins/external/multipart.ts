import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** multipart/form-data uploads (field `image` plus text fields), capped like raw bodies. */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(multipart, {
      limits: {
        fileSize: app.config.MAX_BODY_BYTES,
        files: 1,
        fields: 16,
        fieldSize: 16 * 1024,
        parts: 32,
        headerPairs: 200,
      },
    });
  },
  { name: 'multipart', dependencies: ['env'], fastify: '5.x' },
);
