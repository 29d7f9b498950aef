import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** gzip/brotli for JSON (a dense shelf's /predict answer is ~30 KB of boxes). */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(compress, {
      global: true,
      threshold: 1024,
      encodings: ['br', 'gzip'],
      // Brotli's default quality (11) costs more CPU than the inference it follows; 4 keeps most of the gain.
      brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
      // Images and WASM are already compressed or served pre-compressed by the static plugin.
      customTypes: /^(application\/(json|javascript|manifest\+json)|text\/.*|image\/svg\+xml)(;.*)?$/,
    });
  },
  { name: 'compress', fastify: '5.x' },
);
