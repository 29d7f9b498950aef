import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, codeForFrameworkError, ERROR_CATALOGUE, type ErrorCode } from '../../errors.js';

/**
 * The messages of an error's `cause` chain, outermost first ("a <- b"); undefined without one.
 * A bare `cause` object would log as `{}`: an Error's own properties are not enumerable.
 */
export function causeChain(err: unknown): string | undefined {
  const parts: string[] = [];
  let cause = (err as { cause?: unknown } | null)?.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 8; depth++) {
    parts.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.length > 0 ? parts.join(' <- ') : undefined;
}

/**
 * Every error becomes `{ error: { code, message } }` with the catalogue's status. Client mistakes
 * are 4xx with a specific message; anything else is logged with its cause and shown as a bare 500.
 * Each error response is counted by code.
 */
export default fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
      let code: ErrorCode;
      let message: string;
      if (err instanceof ApiError) {
        code = err.code;
        message = err.message;
        for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
      } else if ((err as FastifyError).validation) {
        code = 'INVALID_REQUEST';
        message = err.message;
      } else {
        code = codeForFrameworkError(err as FastifyError);
        message = ERROR_CATALOGUE[code].status < 500 ? err.message : ERROR_CATALOGUE[code].message;
      }
      const status = ERROR_CATALOGUE[code].status;
      // pino's err serializer writes the message, stack and the causes' messages and stacks.
      if (code === 'INTERNAL') request.log.error({ err, code }, 'request failed');
      else if (status >= 500) request.log.warn({ err, code }, 'request refused');
      else request.log.info({ code, reason: err.message, cause: causeChain(err) }, 'request rejected');
      app.metrics.errors.inc({ code });
      void reply.code(status).send({ error: { code, message } });
    });
    app.setNotFoundHandler((request, reply) => {
      app.metrics.errors.inc({ code: 'NOT_FOUND' });
      void reply
        .code(404)
        .send({ error: { code: 'NOT_FOUND', message: `Route ${request.method} ${request.url} not found.` } });
    });
  },
  { name: 'error-handler', dependencies: ['metrics'], fastify: '5.x' },
);
