/**
 * What a store employee reads when something goes wrong, and what they can do about it. Every code of
 * the server's catalogue (`ERROR_CATALOGUE` in the shared package) has a plain sentence here, plus the
 * PWA's own codes for problems found on the device. A code this build does not know (a newer server)
 * falls back to the server's own message and an action guessed from the HTTP status.
 */

/** What the person can do: take the photo again, fix Settings, fix the audit form, or just wait. */
export type ErrorAction = 'retake' | 'settings' | 'edit' | 'wait' | 'none';

export interface PlainError {
  code: string;
  text: string;
  action: ErrorAction;
}

type Entry = Omit<PlainError, 'code'>;

const RETAKE_SMALLER: Entry = {
  text: 'The photo is too big for the server. Take it again; ShelfWatch will make it smaller.',
  action: 'retake',
};

/** Server catalogue codes (shared/src/errors.ts). */
export const SERVER_MESSAGES: Record<string, Entry> = {
  EMPTY_BODY: { text: 'The photo was empty. Take it again.', action: 'retake' },
  INVALID_REQUEST: {
    text: 'The store or aisle is not valid. Store ids use letters, digits and . _ : - only.',
    action: 'edit',
  },
  UNAUTHORIZED: { text: 'The API key was not accepted. Check it in Settings.', action: 'settings' },
  FORBIDDEN_STORE: {
    text: 'This API key may not file audits for this store. Check the store, or ask for a key for it.',
    action: 'edit',
  },
  NOT_FOUND: { text: 'That audit was not found (it may belong to another store).', action: 'none' },
  IDEMPOTENCY_CONFLICT: {
    text: 'This scan was already filed with another store or aisle. Scan the shelf again for a new audit.',
    action: 'retake',
  },
  PAYLOAD_TOO_LARGE: RETAKE_SMALLER,
  IMAGE_TOO_MANY_PIXELS: RETAKE_SMALLER,
  UNSUPPORTED_MEDIA_TYPE: {
    text: 'This file is not a photo ShelfWatch can read. Use a JPEG, PNG or WebP photo.',
    action: 'retake',
  },
  UNDECODABLE_IMAGE: { text: 'The photo is damaged and cannot be read. Take it again.', action: 'retake' },
  IMAGE_TOO_COMPLEX: {
    text: 'This photo is built in an unusual way the server refuses to read. Take it again with the camera.',
    action: 'retake',
  },
  AUTH_THROTTLED: {
    text: 'Too many wrong API keys were tried from this network. ShelfWatch tries again in a minute.',
    action: 'wait',
  },
  INFERENCE_TIMEOUT: {
    text: 'The server took too long to count this photo. ShelfWatch tries again shortly.',
    action: 'wait',
  },
  RATE_LIMITED: { text: 'Too many requests right now. ShelfWatch tries again by itself.', action: 'wait' },
  INTERNAL: { text: 'The server had a problem. ShelfWatch tries again by itself.', action: 'wait' },
  QUEUE_FULL: { text: 'The server is busy. ShelfWatch tries again shortly.', action: 'wait' },
  WORKER_FAILED: { text: 'The server could not count this time. ShelfWatch tries again.', action: 'wait' },
  NOT_READY: { text: 'The server is starting up. ShelfWatch tries again shortly.', action: 'wait' },
};

/** Problems the PWA finds itself, before or instead of a server answer. */
export const CLIENT_MESSAGES: Record<string, Entry> = {
  NOT_AN_IMAGE: {
    text: 'This file is not a photo ShelfWatch can read. Choose a JPEG, PNG or WebP photo.',
    action: 'retake',
  },
  TRUNCATED_IMAGE: {
    text: 'This photo is incomplete (the file was cut off). Take it again or choose another one.',
    action: 'retake',
  },
  DAMAGED_IMAGE: {
    text: 'This photo is damaged: part of it could not be read. Take it again or choose another one.',
    action: 'retake',
  },
  DECODE_FAILED: {
    text: 'This photo cannot be opened. Take it again or choose another one.',
    action: 'retake',
  },
  NO_API_KEY: { text: 'No API key is set. Add it in Settings to send audits.', action: 'settings' },
  KEY_CHECK_UNAVAILABLE: {
    text: 'This server cannot check keys yet; the key is checked when the first audit is sent.',
    action: 'none',
  },
  NO_PHOTO: {
    text: 'The photo of this audit is no longer on this phone. Take a new photo of the shelf.',
    action: 'retake',
  },
  NETWORK: {
    text: 'No connection to the server. The audit is kept and sent when you are back online.',
    action: 'wait',
  },
  JOB_NOT_FOUND: {
    text: 'The server no longer knows this audit; ShelfWatch sends it again.',
    action: 'wait',
  },
  INVALID_RESPONSE: {
    text: 'The network answered, but not the ShelfWatch server (a Wi-Fi sign-in page?). ShelfWatch tries again.',
    action: 'wait',
  },
  NO_ENGINE: {
    text: 'This phone cannot count offline and the server is not reachable. Try again online.',
    action: 'wait',
  },
  SCAN_FAILED: { text: 'Counting failed on this phone and on the server. Try again.', action: 'retake' },
};

/**
 * Where the key is typed (first-run setup, the Settings dialog) "Check it in Settings" points to the
 * screen the person is on: there, a refused or missing key is said like this.
 */
const AT_THE_KEY: Record<string, string> = {
  UNAUTHORIZED: 'The API key was not accepted. Check it with your manager and enter it again.',
  NO_API_KEY: 'Enter the API key your manager gave you.',
};

/** The text of a key check's error, shown next to the key field. */
export function keyFieldText(error: PlainError): string {
  return AT_THE_KEY[error.code] ?? error.text;
}

/**
 * The plain-language form of an error code. `status` and `serverMessage` shape the fallback for codes
 * this build does not know.
 */
export function describeError(code: string, serverMessage?: string, status?: number): PlainError {
  const known = SERVER_MESSAGES[code] ?? CLIENT_MESSAGES[code];
  if (known) return { code, ...known };
  const action: ErrorAction =
    status === undefined || status >= 500 || status === 408 || status === 429 ? 'wait' : 'retake';
  const text =
    serverMessage?.trim() ||
    (action === 'wait' ? 'Something went wrong. ShelfWatch tries again.' : 'The server refused this.');
  return { code, text, action };
}
