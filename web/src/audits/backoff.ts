/** Retry delays for queued audits: exponential with jitter, capped; a server's Retry-After wins when longer. */

export interface BackoffOptions {
  /** First retry delay, ms. @default 2000 */
  baseMs: number;
  /** Longest delay, ms. @default 300000 (5 min) */
  maxMs: number;
  /** Fraction of the delay randomised away (0 = none). @default 0.3 */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2000, maxMs: 300_000, jitter: 0.3 };

/**
 * Polls of an accepted audit's job: 1 s, then doubling to 30 s. The server's `Retry-After` (1 s) is a
 * floor; a burst of a whole store's phones must stay under the key's rate limit (120 per minute).
 */
export const DEFAULT_POLL_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 30_000, jitter: 0.3 };

/**
 * Delay before retry number `attempts` (1 = first retry).
 * @param random a number in [0, 1) (injectable for tests)
 */
export function backoffDelay(
  attempts: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: number = Math.random(),
  retryAfterMs?: number,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempts - 1));
  const delay = exp * (1 - opts.jitter * random);
  return Math.max(delay, retryAfterMs ?? 0);
}
