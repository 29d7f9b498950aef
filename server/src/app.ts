import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Config, loadConfig } from './config.js';
import { registerImageBodyParser } from './http/image-input.js';
import auditStore from './plugins/app/audit-store.js';
import auth from './plugins/app/auth.js';
import errorHandler from './plugins/app/error-handler.js';
import metrics from './plugins/app/metrics.js';
import modelPool from './plugins/app/model-pool.js';
import compress from './plugins/external/compress.js';
import env from './plugins/external/env.js';
import helmet from './plugins/external/helmet.js';
import multipart from './plugins/external/multipart.js';
import rateLimit from './plugins/external/rate-limit.js';
import swagger from './plugins/external/swagger.js';
import auditRoutes from './routes/audits.js';
import healthRoutes from './routes/health.js';
import metricsRoutes from './routes/metrics.js';
import predictRoutes from './routes/predict.js';
import webRoutes from './routes/web.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by server.ts on SIGTERM: readiness answers 503 and responses close their connections. */
    shuttingDown: boolean;
  }
}

export interface BuildOptions {
  /** Settings; default: validated from `process.env`. */
  config?: Config;
  /** pino options or false; default JSON logs at LOG_LEVEL. */
  logger?: boolean | Record<string, unknown>;
}

/**
 * Builds the app as a plugin tree (STYLE.md 1): third-party plugins, then our decorators
 * (metrics, model pool, audit store, auth), then routes. Does not listen (server.ts does).
 */
export async function buildApp(options: BuildOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig();
  const app = Fastify({
    logger: options.logger ?? { level: config.LOG_LEVEL },
    bodyLimit: config.MAX_BODY_BYTES,
    trustProxy: config.TRUST_PROXY,
    // Accept a caller's request id (from a proxy or the PWA) so one id follows a request across logs.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Big request bodies must not stall on slow phones forever.
    requestTimeout: 120_000,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
  });
  app.decorate('shuttingDown', false);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While draining, answers close their keep-alive connection: server.close() only drops the sockets
    // idle at the moment it is called, and a socket kept alive after its last response would hold
    // shutdown until keepAliveTimeout.
    if (app.shuttingDown) reply.header('connection', 'close');
  });

  await app.register(env, { config });
  await app.register(metrics);
  await app.register(errorHandler);
  await app.register(helmet);
  await app.register(compress);
  await app.register(rateLimit);
  await app.register(multipart);
  await app.register(swagger);
  registerImageBodyParser(app);

  await app.register(modelPool);
  await app.register(auditStore);
  await app.register(auth);

  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  await app.register(predictRoutes);
  await app.register(auditRoutes);
  await app.register(webRoutes);
  return app;
}
