import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Config, loadConfig } from './config.js';
import { closeSilentConnections } from './http/connection-guard.js';
import {
  clientErrorHandler,
  frameworkErrors,
  refuseMalformedQuery,
  validationMessage,
} from './http/framework-errors.js';
import { registerImageBodyParser } from './http/image-input.js';
import auditStore from './plugins/app/audit-store.js';
import auth from './plugins/app/auth.js';
import errorHandler from './plugins/app/error-handler.js';
import jobQueue from './plugins/app/job-queue.js';
import metrics from './plugins/app/metrics.js';
import modelPool from './plugins/app/model-pool.js';
import photoStore from './plugins/app/photo-store.js';
import compress from './plugins/external/compress.js';
import env from './plugins/external/env.js';
import helmet from './plugins/external/helmet.js';
import multipart from './plugins/external/multipart.js';
import rateLimit from './plugins/external/rate-limit.js';
import swagger from './plugins/external/swagger.js';
import auditRoutes from './routes/audits.js';
import healthRoutes from './routes/health.js';
import meRoutes from './routes/me.js';
import metricsRoutes from './routes/metrics.js';
import predictRoutes from './routes/predict.js';
import storeRoutes from './routes/stores.js';
import webRoutes from './routes/web.js';
import { ajvFiniteKeyword } from './schemas/common.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by server.ts on SIGTERM: readiness answers 503 and responses close their connections. */
    shuttingDown: boolean;
  }
}

/** Caller request ids kept in logs and echoed: UUIDs, ULIDs, trace ids; anything else is replaced. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:@=+/-]{1,128}$/;

/** Default body limit of routes without their own: no route takes a body other than an image. */
const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Fastify's `trustProxy` for a resolved TRUST_PROXY; a hop count trusts that many peers nearest us. */
function trustProxy(value: Config['TRUST_PROXY_RESOLVED']) {
  return typeof value === 'number' ? (_address: string, hop: number) => hop < value : value;
}

/**
 * What a process serves: `api` (the HTTP API and the PWA, and the audit jobs too unless
 * JOB_CONSUMERS=false) or `worker` (`shelfwatch worker`: audit jobs only, with health and metrics).
 */
export type AppRole = 'api' | 'worker';

export interface BuildOptions {
  /** Settings; default: validated from `process.env`. */
  config?: Config;
  /** @default 'api' */
  role?: AppRole;
  /** pino options or false; default JSON logs at LOG_LEVEL. */
  logger?: boolean | Record<string, unknown>;
}

/**
 * Builds the app as a plugin tree: third-party plugins, then our decorators (metrics, auth, model
 * pool, audit store, photo store, job queue), then routes; a worker gets no API routes. Does not listen (server.ts does); the HTTP timeouts are set here,
 * on the server Fastify creates, so that every listening instance (tests too) has them.
 */
export async function buildApp(options: BuildOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig();
  const app = Fastify({
    logger: options.logger ?? { level: config.LOG_LEVEL },
    bodyLimit: DEFAULT_BODY_LIMIT,
    // Only the configured proxies may set X-Forwarded-For (never `true`: config.ts refuses it).
    trustProxy: trustProxy(config.TRUST_PROXY_RESOLVED),
    // A caller's request id (from a proxy or the PWA) follows a request across logs, if it looks
    // like an id; anything else (spaces, quotes, 1 KB of text) is replaced, never echoed or logged.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
    },
    // Connections: headers, whole requests (uploads from slow phones) and idle sockets all end.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    // Path parameters up to a 128-character aisle percent-encoded as UTF-8 (find-my-way's default, 100,
    // answered longer ones with a 404 before the schema could say 400).
    routerOptions: { maxParamLength: 1536 },
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    // Malformed URLs and HTTP get the app's error shape too.
    frameworkErrors,
    clientErrorHandler,
    schemaErrorFormatter: (errors, part) => new Error(validationMessage(errors, part)),
    ajv: {
      // removeAdditional: false makes `additionalProperties: false` refuse unknown keys (Fastify's
      // default, true, silently drops them); coercion only turns query strings into numbers.
      customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true, allErrors: false },
      plugins: [ajvFiniteKeyword],
    },
  });
  // No JSON or text parsers: no route takes such a body, and a 19 MB JSON body would be parsed on
  // the event loop before the route refused it. Other types are 415 with the body unread.
  app.removeAllContentTypeParsers();
  app.server.headersTimeout = config.HEADERS_TIMEOUT_MS;
  closeSilentConnections(app.server, config.HEADERS_TIMEOUT_MS);
  app.decorate('shuttingDown', false);
  app.addHook('onRequest', refuseMalformedQuery);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // While draining, answers close their keep-alive connection: server.close() only drops the sockets
    // idle at the moment it is called, and a socket kept alive after its last response would hold
    // shutdown until keepAliveTimeout.
    if (app.shuttingDown) reply.header('connection', 'close');
    // An answer sent before the body was read (415, 413, 503 QUEUE_FULL, 401) ends the connection:
    // the rest of the upload is not read and thrown away, and the socket is never left half-read.
    if (request.raw.complete === false) reply.header('connection', 'close');
  });

  const role = options.role ?? 'api';
  await app.register(env, { config });
  await app.register(metrics);
  await app.register(errorHandler);
  if (role === 'api') {
    // Early: a missing API_KEYS stops the start before the model loads.
    await app.register(auth);
    await app.register(helmet);
    await app.register(compress);
    await app.register(rateLimit);
    await app.register(multipart);
    await app.register(swagger);
    registerImageBodyParser(app);
  }

  await app.register(modelPool);
  await app.register(auditStore);
  await app.register(photoStore);
  await app.register(jobQueue, { consumers: role === 'worker' || config.JOB_CONSUMERS });

  await app.register(healthRoutes);
  await app.register(metricsRoutes);
  if (role === 'worker') return app;
  await app.register(predictRoutes);
  await app.register(auditRoutes);
  await app.register(meRoutes);
  await app.register(storeRoutes);
  await app.register(webRoutes);
  return app;
}
