import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The validated settings (src/config.ts), read from the environment once in buildApp. */
    config: Config;
  }
}

/** Exposes the one validated configuration to every plugin as `app.config`. */
export default fp(
  async (app: FastifyInstance, opts: { config: Config }) => {
    app.decorate('config', opts.config);
  },
  { name: 'env', fastify: '5.x' },
);
