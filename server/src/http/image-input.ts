import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';
import { validationMessage } from './framework-errors.js';

/** Raw image bodies the API accepts (docs/API.md); multipart is handled by @fastify/multipart. */
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** Every content type an image route accepts. */
const IMAGE_ROUTE_TYPES = new Set([...IMAGE_CONTENT_TYPES, 'multipart/form-data']);

/**
 * Buffers raw image bodies up to MAX_BODY_BYTES (413 beyond it, or at once when Content-Length
 * says so). The app has no other body parsers (no JSON, no text): any other type is 415 unread.
 */
export function registerImageBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    IMAGE_CONTENT_TYPES,
    { parseAs: 'buffer', bodyLimit: app.config.MAX_BODY_BYTES },
    (_request, body, done) => done(null, body),
  );
}

/**
 * onRequest hook of the image routes: a declared content type the route does not take is 415
 * before a byte of the body is read. (A missing one is left to the body check: EMPTY_BODY or 415.)
 * @throws {ApiError} UNSUPPORTED_MEDIA_TYPE
 */
export async function requireImageContentType(request: FastifyRequest): Promise<void> {
  const header = request.headers['content-type'];
  if (header === undefined) return;
  const type = header.split(';', 1)[0]!.trim().toLowerCase();
  if (!IMAGE_ROUTE_TYPES.has(type)) {
    throw new ApiError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${JSON.stringify(type.slice(0, 64))} is not accepted; send a JPEG, PNG or WebP image (raw body or multipart field "image").`,
    );
  }
}

/**
 * onRequest hook of the image routes, after the content type: the query string and the headers
 * are checked against the route's schema before a byte of the body is read (Fastify validates them
 * only once the body is parsed, which would make a request with a bad threshold hold a queue slot
 * while up to MAX_BODY_BYTES arrive). The same compiled validators run, so the answer is the one
 * Fastify gives later. A header the schema names may come once: Node would join repeated ones
 * with ", " (two Idempotency-Keys read as one).
 * @throws {ApiError} INVALID_REQUEST
 */
export async function validateBeforeBody(request: FastifyRequest): Promise<void> {
  const named = request.routeOptions.schema?.headers as { properties?: Record<string, unknown> } | undefined;
  // (`headersDistinct` is Node's; light-my-request's injected requests have none.)
  const distinct = request.raw.headersDistinct as NodeJS.Dict<string[]> | undefined;
  for (const name of Object.keys(named?.properties ?? {})) {
    if ((distinct?.[name]?.length ?? 0) > 1)
      throw new ApiError('INVALID_REQUEST', `Header ${name} must be given at most once.`);
  }
  for (const [part, key] of [
    ['querystring', 'query'],
    ['headers', 'headers'],
  ] as const) {
    const validate = request.getValidationFunction(part) as
      | (((data: unknown, context: object) => boolean) & { errors?: Parameters<typeof validationMessage>[0] })
      | undefined;
    if (validate === undefined) continue;
    // As Fastify calls it: the parent lets Ajv's coercion replace the root value's properties.
    if (!validate(request[key] ?? null, { parentData: request, parentDataProperty: key }))
      throw new ApiError('INVALID_REQUEST', validationMessage(validate.errors, part));
  }
}

/**
 * The uploaded image and text fields of a request: a raw `image/*` body (fields then come from the
 * query string) or multipart/form-data with a file field `image`.
 * @param allowedFields the multipart text fields the route takes, each at most once; any other is refused
 * @throws {ApiError} EMPTY_BODY, INVALID_REQUEST, UNSUPPORTED_MEDIA_TYPE or PAYLOAD_TOO_LARGE
 */
export async function readImageInput(
  request: FastifyRequest,
  allowedFields: readonly string[] = [],
): Promise<{ image: Buffer; fields: Record<string, string> }> {
  const fields: Record<string, string> = {};
  let image: Buffer | null = null;
  if (request.isMultipart()) {
    let unknownField: string | null = null;
    let repeatedField: string | null = null;
    try {
      // Every part is read to the end (within the multipart limits), even after an unknown field:
      // leaving the form half-read would stall the connection's next request.
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          // toBuffer() throws FST_REQ_FILE_TOO_LARGE (413) past limits.fileSize.
          if (part.fieldname === 'image' && image === null) image = await part.toBuffer();
          else part.file.resume();
        } else if (!allowedFields.includes(part.fieldname)) {
          unknownField ??= part.fieldname;
        } else if (Object.hasOwn(fields, part.fieldname)) {
          repeatedField ??= part.fieldname;
        } else if (typeof part.value === 'string') {
          fields[part.fieldname] = part.value;
        }
      }
    } catch (err) {
      // @fastify/multipart's own errors carry a 4xx status; busboy's parse errors ("Unexpected end
      // of form", a bad boundary) carry none and are still the client's fault.
      if (err instanceof ApiError || (err as { statusCode?: number }).statusCode) throw err;
      throw new ApiError('INVALID_REQUEST', 'The multipart body is malformed.', { cause: err });
    }
    if (unknownField !== null) {
      throw new ApiError(
        'INVALID_REQUEST',
        `Unknown multipart field ${JSON.stringify(unknownField.slice(0, 64))}.`,
      );
    }
    if (repeatedField !== null) {
      throw new ApiError(
        'INVALID_REQUEST',
        `Multipart field ${JSON.stringify(repeatedField)} must be given at most once.`,
      );
    }
    if (image === null) throw new ApiError('EMPTY_BODY', 'The multipart body has no file field "image".');
  } else {
    const body = request.body;
    if (body === undefined || body === null) throw new ApiError('EMPTY_BODY');
    if (!Buffer.isBuffer(body)) throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
    image = body;
  }
  if (image.length === 0) throw new ApiError('EMPTY_BODY', 'The image is empty (0 bytes).');
  return { image, fields };
}
