import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Security headers on every response. COOP same-origin + COEP require-corp make the PWA
 * cross-origin isolated, which onnxruntime-web needs for WASM threads (SharedArrayBuffer);
 * without them it silently falls back to one thread.
 */
export default fp(
  async (app: FastifyInstance) => {
    await app.register(helmet, {
      global: true,
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: { policy: 'require-corp' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          // 'wasm-unsafe-eval' lets onnxruntime-web compile its WASM; blob: covers its worker bootstrap.
          scriptSrc: ["'self'", "'wasm-unsafe-eval'", 'blob:'],
          workerSrc: ["'self'", 'blob:'],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'", 'blob:', 'data:'],
          manifestSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: null,
        },
      },
    });
  },
  { name: 'helmet', fastify: '5.x' },
);
