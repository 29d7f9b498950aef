// Answers for requests that never reach a route's error handler (a malformed URL, HTTP the parser
// refuses) and for query strings the schemas cannot judge (undecodable text, numbers in hex): the
// same `{ error: { code, message } }` shape as every other error, never Fastify's or Node's own.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { parseDecimal } from '@shelfwatch/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

/**
 * Fastify's `frameworkErrors`: a URL that is not valid percent-encoding (`/audits/%c0`) or a path
 * segment past `maxParamLength` is refused by the router before any hook runs (no onSend hook adds
 * the request id then: set here); answered here like any other invalid request.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.server.metrics?.errors.inc({ code: 'INVALID_REQUEST' });
  const [status, message] =
    error.code === 'FST_ERR_BAD_URL'
      ? [400, 'The URL is not valid percent-encoded UTF-8.']
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? [414, 'A segment of the URL is too long.']
        : [400, 'The request is invalid.'];
  void reply
    .code(status)
    .header('x-request-id', request.id)
    .header('x-content-type-options', 'nosniff')
    .send({ error: { code: 'INVALID_REQUEST', message } });
}

/** Node's parse errors (`clientError`): status and message of each, all INVALID_REQUEST. */
function clientErrorAnswer(code: string | undefined): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'The request did not arrive in time; send it again.'];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'The request headers are too large.'];
  return [400, 'The request is not valid HTTP/1.1.'];
}

/**
 * Fastify's `clientErrorHandler`: written on the raw socket (the request was never parsed), then the
 * connection ends, as Node's and Fastify's defaults do.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection is gone: nothing to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = clientErrorAnswer(err.code);
  this.log.debug({ code: err.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: { code: 'INVALID_REQUEST', message } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * onRequest hook of every route: a query string whose percent-encoding is not valid UTF-8 (`%zz`,
 * `%ED%A0%80`, a lone surrogate) is refused, as is a number parameter not written in decimal. The
 * parser would keep an undecodable value as its raw text and pass it on (an aisle stored as
 * `%ED%A0%80`), and Ajv's coercion reads numbers with `Number()` (`limit=0x2` listed 2 audits).
 * @throws {ApiError} INVALID_REQUEST
 */
export async function refuseMalformedQuery(request: FastifyRequest): Promise<void> {
  const url = request.raw.url ?? '';
  const at = url.indexOf('?');
  if (at < 0) return;
  if (url.includes('%', at)) {
    try {
      decodeURIComponent(url.slice(at + 1));
    } catch {
      throw new ApiError('INVALID_REQUEST', 'The query string is not valid percent-encoded UTF-8.');
    }
  }
  const schema = request.routeOptions.schema?.querystring as
    | { properties?: Record<string, { type?: string }> }
    | undefined;
  const query = request.query as Record<string, unknown>;
  for (const [name, property] of Object.entries(schema?.properties ?? {})) {
    const value = query[name];
    if (
      (property.type === 'number' || property.type === 'integer') &&
      typeof value === 'string' &&
      parseDecimal(value) === undefined
    )
      throw new ApiError('INVALID_REQUEST', `querystring/${name} must be a decimal number.`);
  }
}

/** An Ajv error as Fastify passes it to `schemaErrorFormatter`. */
interface SchemaError {
  keyword: string;
  instancePath: string;
  params?: Record<string, unknown>;
  message?: string;
}

/**
 * The message for input a route's schema refuses, naming what was refused: `querystring has an
 * unknown key 'foo'` (not Ajv's "must NOT have additional properties"), `body/storeId must match
 * pattern ...`. Fastify's `schemaErrorFormatter`, and what `validateBeforeBody` says before the body.
 */
export function validationMessage(errors: readonly SchemaError[] | null | undefined, part: string): string {
  const first = errors?.[0];
  if (first === undefined) return `${part} is invalid`;
  const at = `${part}${first.instancePath}`;
  const unknown = first.params?.additionalProperty;
  if (first.keyword === 'additionalProperties' && typeof unknown === 'string')
    return `${at} has an unknown key '${unknown.length > 64 ? `${unknown.slice(0, 64)}…` : unknown}'`;
  return `${at} ${first.message ?? 'is invalid'}`;
}
