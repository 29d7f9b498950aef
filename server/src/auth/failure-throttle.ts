/**
 * Counts failed authentications per client in fixed one-window buckets. Past `max` failures a
 * client is blocked until its window ends, whatever key it sends next: otherwise a brute force
 * would still see which guess is right. Memory is bounded: at most `maxClients` are tracked, the
 * oldest forgotten first.
 */
export class FailureThrottle {
  private readonly clients = new Map<string, { failures: number; resetAt: number }>();

  /**
   * @param max failures allowed per window
   * @param windowMs window length, in ms
   * @param maxClients clients tracked at once
   */
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxClients = 100_000,
  ) {}

  /** Milliseconds until `client` may authenticate again; 0 when it may now. */
  blockedFor(client: string, now = Date.now()): number {
    const entry = this.clients.get(client);
    if (!entry) return 0;
    if (entry.resetAt <= now) {
      this.clients.delete(client);
      return 0;
    }
    return entry.failures >= this.max ? entry.resetAt - now : 0;
  }

  recordFailure(client: string, now = Date.now()): void {
    let entry = this.clients.get(client);
    if (!entry || entry.resetAt <= now) {
      this.clients.delete(client);
      if (this.clients.size >= this.maxClients) {
        // Map order is insertion order: the first key is the oldest window.
        this.clients.delete(this.clients.keys().next().value!);
      }
      entry = { failures: 0, resetAt: now + this.windowMs };
      this.clients.set(client, entry);
    }
    entry.failures++;
  }
}
