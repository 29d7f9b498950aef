import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

/** Raw image bodies the API accepts (DESIGN.md); multipart is handled by @fastify/multipart. */
export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'];

/** Buffers raw image bodies up to MAX_BODY_BYTES (Fastify answers 413 beyond it). */
export function registerImageBodyParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    IMAGE_CONTENT_TYPES,
    { parseAs: 'buffer', bodyLimit: app.config.MAX_BODY_BYTES },
    (_request, body, done) => done(null, body),
  );
}

/**
 * The uploaded image and text fields of a request: a raw `image/*` body (fields then come from the
 * query string) or multipart/form-data with a file field `image`.
 * @throws {ApiError} EMPTY_BODY, UNSUPPORTED_MEDIA_TYPE or PAYLOAD_TOO_LARGE
 */
export async function readImageInput(
  request: FastifyRequest,
): Promise<{ image: Buffer; fields: Record<string, string> }> {
  const fields: Record<string, string> = {};
  let image: Buffer | null = null;
  if (request.isMultipart()) {
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          // toBuffer() throws FST_REQ_FILE_TOO_LARGE (413) past limits.fileSize.
          if (part.fieldname === 'image' && image === null) image = await part.toBuffer();
          else part.file.resume();
        } else if (typeof part.value === 'string') {
          fields[part.fieldname] = part.value;
        }
      }
    } catch (err) {
      // @fastify/multipart's own errors carry a 4xx status; busboy's parse errors ("Unexpected end
      // of form", a bad boundary) carry none and are still the client's fault.
      if ((err as { statusCode?: number }).statusCode) throw err;
      throw new ApiError('INVALID_REQUEST', 'The multipart body is malformed.', { cause: err });
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
