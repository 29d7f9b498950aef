import { ERROR_CATALOGUE, type ErrorCode } from '@shelfwatch/shared';

export { ERROR_CATALOGUE, type ErrorCode };

/**
 * The server's error type: a code of the shared catalogue (status, default message), an optional
 * specific message, a `cause` for the logs and extra response headers (e.g. `Retry-After`).
 * The error handler shows `message` for 4xx only (docs/CONVENTIONS.md 4).
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message ?? ERROR_CATALOGUE[code].message, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
    this.headers = options.headers ?? {};
  }
}

/** A plain, structured-clone-safe error description (crosses the worker boundary). */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** The underlying error's message (e.g. libvips'), for the logs only. */
  cause?: string;
}

/** Maps an error raised by Fastify or one of its plugins to a catalogue code. */
export function codeForFrameworkError(err: { code?: string; statusCode?: number }): ErrorCode {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'EMPTY_BODY';
    case 'FST_ERR_NOT_FOUND':
      return 'NOT_FOUND';
  }
  const status = err.statusCode ?? 500;
  if (status === 404) return 'NOT_FOUND';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 400 && status < 500) return 'INVALID_REQUEST';
  return 'INTERNAL';
}
