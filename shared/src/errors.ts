/** One entry of the API error catalogue. */
export interface ErrorSpec {
  /** HTTP status the server answers with. */
  status: number;
  /** Default message shown to the client (the server may replace it with a more specific one for 4xx). */
  message: string;
  /** Whether trying the same request later can succeed (the PWA may queue it or fall back). */
  retryable: boolean;
}

/**
 * Every error the API can answer with, shared by the server (status, metrics label `code`) and the
 * PWA (user-facing text, retry policy). Client mistakes are 4xx, never 5xx (docs/API.md, errors).
 */
export const ERROR_CATALOGUE = {
  EMPTY_BODY: { status: 400, message: 'The request has no image.', retryable: false },
  INVALID_REQUEST: { status: 400, message: 'The request is invalid.', retryable: false },
  UNAUTHORIZED: { status: 401, message: 'A valid API key is required.', retryable: false },
  FORBIDDEN_STORE: { status: 403, message: 'This API key may not access that store.', retryable: false },
  NOT_FOUND: { status: 404, message: 'Not found.', retryable: false },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This Idempotency-Key was already used with a different request.',
    retryable: false,
  },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The image is too large.', retryable: false },
  IMAGE_TOO_MANY_PIXELS: { status: 413, message: 'The image has too many pixels.', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Send a JPEG, PNG or WebP image (raw body or multipart field "image").',
    retryable: false,
  },
  UNDECODABLE_IMAGE: { status: 422, message: 'The image could not be decoded.', retryable: false },
  IMAGE_TOO_COMPLEX: {
    status: 422,
    message: 'The image is too costly to decode (extreme shape, metadata or encoding).',
    retryable: false,
  },
  RATE_LIMITED: { status: 429, message: 'Too many requests; try again later.', retryable: true },
  AUTH_THROTTLED: {
    status: 429,
    message: 'Too many failed authentication attempts from this client; try again later.',
    retryable: true,
  },
  INTERNAL: { status: 500, message: 'Internal server error.', retryable: true },
  QUEUE_FULL: { status: 503, message: 'The server is busy; try again shortly.', retryable: true },
  INFERENCE_TIMEOUT: {
    status: 503,
    message: 'The server could not run this image within its time budget; try again shortly.',
    retryable: true,
  },
  WORKER_FAILED: { status: 503, message: 'Inference failed; try again.', retryable: true },
  NOT_READY: { status: 503, message: 'The service is starting; try again shortly.', retryable: true },
} as const satisfies Record<string, ErrorSpec>;

/** A code of {@link ERROR_CATALOGUE}, e.g. `'QUEUE_FULL'`. */
export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Every error response body: `{ error: { code, message } }`. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string };
}

/** True when `value` is a code of {@link ERROR_CATALOGUE}. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOGUE, value);
}

/**
 * Builds an error response body, with the catalogue message unless a specific one is given.
 * @throws {RangeError} on an unknown code
 */
export function apiErrorBody(code: ErrorCode, message?: string): ApiErrorBody {
  if (!isErrorCode(code))
    throw new RangeError(`code must be an error catalogue code, got ${JSON.stringify(code)}`);
  return { error: { code, message: message ?? ERROR_CATALOGUE[code].message } };
}

/** True when `value` has the shape of an {@link ApiErrorBody} (for clients reading responses). */
export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (value === null || typeof value !== 'object') return false;
  const e = (value as { error?: unknown }).error;
  return (
    e !== null &&
    typeof e === 'object' &&
    isErrorCode((e as { code?: unknown }).code) &&
    typeof (e as { message?: unknown }).message === 'string'
  );
}
