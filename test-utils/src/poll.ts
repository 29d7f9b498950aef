/** Options of {@link poll}. */
export interface PollOptions {
  /** Give up after this long, in ms. @default 30000 */
  timeoutMs?: number;
  /** Pause between probes, in ms. @default 200 */
  intervalMs?: number;
  /**
   * Called before each probe; what it throws ends the polling at once (e.g. `service.assertRunning()`:
   * a process that exited will never become ready).
   */
  check?: () => void;
}

/**
 * Calls `probe` until it returns a value other than `undefined` and returns that value. A probe that
 * throws counts as "not yet"; past the deadline the error names `what` and the last failure.
 */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 200, check }: PollOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    check?.();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
