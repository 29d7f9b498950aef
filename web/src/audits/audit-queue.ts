/**
 * The offline audit queue. Every audit is written to IndexedDB first, with a client UUID that travels
 * as the `Idempotency-Key`, then sent. The server stores each key once, so a retry after a lost
 * response, a reload mid-send or two tabs syncing at once cannot duplicate an audit; a record leaves
 * `pending` only when the server has confirmed it (or refused it for good with a 4xx).
 */
import type { IDBPDatabase } from 'idb';
import type { AuditRecord, ShelfWatchDB } from '../storage/db.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

export interface NewAudit {
  storeId: string;
  aisle: string;
  note?: string;
  photo: ArrayBuffer;
  photoType: string;
  apiKey: string;
  localCount?: number;
}

/** Outcome of one send attempt. */
export type SendResult =
  | { kind: 'sent'; serverId: string; count?: number }
  | { kind: 'retry'; error: string; retryAfterMs?: number }
  | { kind: 'rejected'; error: string };

export type SendAudit = (audit: AuditRecord) => Promise<SendResult>;

export interface SyncReport {
  sent: number;
  retried: number;
  rejected: number;
  /** Epoch ms of the earliest pending retry, if any. */
  nextAttemptAt?: number;
}

export class AuditQueue {
  constructor(
    private readonly db: IDBPDatabase<ShelfWatchDB>,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Stores a new audit as pending and returns it. */
  async enqueue(audit: NewAudit, id: string = crypto.randomUUID()): Promise<AuditRecord> {
    const record: AuditRecord = {
      ...audit,
      id,
      createdAt: this.now(),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: 0,
    };
    await this.db.add('audits', record);
    return record;
  }

  /** All audits, newest first. */
  async list(): Promise<AuditRecord[]> {
    const all = await this.db.getAllFromIndex('audits', 'createdAt');
    return all.reverse();
  }

  /** Makes a failed audit pending again (the user pressed Retry), optionally with a corrected API key. */
  async retry(id: string, apiKey?: string): Promise<void> {
    const tx = this.db.transaction('audits', 'readwrite');
    const rec = await tx.store.get(id);
    if (rec && rec.status === 'failed') {
      await tx.store.put({ ...rec, status: 'pending', nextAttemptAt: 0, apiKey: apiKey || rec.apiKey });
    }
    await tx.done;
  }

  /** Deletes sent audits older than `maxAgeMs` (their photos are on the server). */
  async prune(maxAgeMs: number): Promise<void> {
    const cutoff = this.now() - maxAgeMs;
    const tx = this.db.transaction('audits', 'readwrite');
    for (const rec of await tx.store.getAll()) {
      if (rec.status === 'sent' && (rec.sentAt ?? 0) < cutoff) await tx.store.delete(rec.id);
    }
    await tx.done;
  }

  /**
   * Sends every due pending audit once, oldest first, and records the outcome. Run it under a lock
   * (`withSyncLock`) so that only one sender per origin is active.
   * @param force also send audits whose backoff has not elapsed (connection just came back)
   */
  async sync(send: SendAudit, force = false): Promise<SyncReport> {
    const report: SyncReport = { sent: 0, retried: 0, rejected: 0 };
    const pending = (await this.db.getAllFromIndex('audits', 'createdAt')).filter(
      (a) => a.status === 'pending',
    );
    for (const audit of pending) {
      if (!force && audit.nextAttemptAt > this.now()) {
        report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, audit.nextAttemptAt);
        continue;
      }
      let result: SendResult;
      try {
        result = await send(audit);
      } catch (err) {
        result = { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
      }
      const attempts = audit.attempts + 1;
      // Re-read: another tab may have finished this audit meanwhile.
      const current = await this.db.get('audits', audit.id);
      if (current?.status !== 'pending') continue;
      if (result.kind === 'sent') {
        report.sent++;
        const done: AuditRecord = {
          ...current,
          status: 'sent',
          attempts,
          sentAt: this.now(),
          serverId: result.serverId,
        };
        if (result.count !== undefined) done.serverCount = result.count;
        delete done.lastError;
        await this.db.put('audits', done);
      } else if (result.kind === 'rejected') {
        report.rejected++;
        await this.db.put('audits', { ...current, status: 'failed', attempts, lastError: result.error });
      } else {
        report.retried++;
        const nextAttemptAt =
          this.now() + backoffDelay(attempts, this.backoff, this.random(), result.retryAfterMs);
        await this.db.put('audits', { ...current, attempts, nextAttemptAt, lastError: result.error });
        report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, nextAttemptAt);
        // The server is failing or unreachable: leave the rest for the next round.
        break;
      }
    }
    if (report.nextAttemptAt === undefined) {
      const rest = (await this.db.getAll('audits')).filter((a) => a.status === 'pending');
      if (rest.length) report.nextAttemptAt = Math.min(...rest.map((a) => a.nextAttemptAt));
    }
    return report;
  }
}

/**
 * Runs `fn` holding the origin-wide audit-sync lock (Web Locks, shared by tabs and the service
 * worker); resolves to undefined without running when another context holds it.
 */
export async function withSyncLock<T>(fn: () => Promise<T>): Promise<T | undefined> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  return locks.request('shelfwatch-audit-sync', { ifAvailable: true }, async (lock) =>
    lock ? fn() : undefined,
  ) as Promise<T | undefined>;
}
