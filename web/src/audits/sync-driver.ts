/**
 * When the page sends queued audits: at start, on `online`, when one is queued, and when a backoff
 * elapses; plus a Background Sync registration so the service worker can send them after the page
 * is closed. All runs go through the origin-wide lock, so page and worker never send concurrently.
 */
import { type AuditQueue, type SendAudit, withSyncLock } from './audit-queue.ts';

export const SYNC_TAG = 'shelfwatch-audits';

export class AuditSyncDriver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly queue: AuditQueue,
    private readonly send: SendAudit,
    private readonly onChange: () => void,
    private readonly isOnline: () => boolean = () => navigator.onLine,
  ) {}

  start(): void {
    addEventListener('online', () => void this.run(true));
    navigator.serviceWorker?.addEventListener('message', (e) => {
      const type = (e.data as { type?: string } | null)?.type;
      if (type === 'audits-changed') this.onChange();
      else if (type === 'sync-audits') void this.run(true);
    });
    void this.run(true);
  }

  /** Asks the browser for a Background Sync (where supported) and tries right away. */
  async queued(): Promise<void> {
    this.onChange();
    try {
      const reg = (await navigator.serviceWorker?.getRegistration()) as
        | (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })
        | undefined;
      await reg?.sync?.register(SYNC_TAG);
    } catch {
      // Background Sync is optional; `online` and the timer cover browsers without it.
    }
    await this.run(true);
  }

  /** One sync round (coalesced: a call during a round schedules one more round). */
  run(force = false): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    // `.finally` runs after the assignment below even when the round finishes synchronously.
    this.running = this.round(force).finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.run(force);
      }
    });
    return this.running;
  }

  private async round(force: boolean): Promise<void> {
    if (!this.isOnline()) return;
    const report = await withSyncLock(() => this.queue.sync(this.send, force));
    this.onChange();
    // Lock held elsewhere (another tab or the service worker): look again shortly.
    this.schedule(report ? report.nextAttemptAt : Date.now() + 3000);
  }

  private schedule(at: number | undefined): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined) return;
    this.timer = setTimeout(() => void this.run(false), Math.max(250, at - Date.now()));
  }
}
