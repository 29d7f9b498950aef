/**
 * The offline audit queue. Every audit is written to IndexedDB first, keyed by its scan's id, which
 * travels as the `Idempotency-Key`: one audit per scan. Filing the same scan again (a double tap, a
 * second tab, a reload and a second try) finds the record already there and adds nothing; the server
 * stores each key once as well, so a retry after a lost response cannot duplicate an audit either.
 * A record leaves `pending` only when the server has confirmed it (or refused it for good with a 4xx).
 * Sent records drop their photo at once and are pruned after `DEFAULT_PRUNE.sentMaxAgeMs`.
 */
import type { IDBPDatabase } from 'idb';
import type { AuditRecord, Downscaled, ShelfWatchDB } from '../storage/db.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, DEFAULT_POLL_BACKOFF } from './backoff.ts';

export interface NewAudit {
  storeId: string;
  aisle: string;
  note?: string;
  photo: ArrayBuffer;
  photoType: string;
  localCount?: number;
  downscaledFrom?: Downscaled;
}

/** The audit form's fields when a scan is filed. */
export type AuditFields = Pick<NewAudit, 'storeId' | 'aisle' | 'note'>;

/**
 * Outcome of one send attempt (a submit, or a poll of an accepted audit's job): stored; accepted and
 * being processed (poll again); to be tried again later; to be submitted again (its job is gone or
 * failed transiently); refused for good.
 */
export type SendResult =
  | { kind: 'sent'; serverId: string; count?: number }
  | { kind: 'accepted'; jobId: string; jobStatus: 'queued' | 'running'; retryAfterMs?: number }
  | { kind: 'retry'; code: string; error: string; retryAfterMs?: number }
  | { kind: 'resubmit'; code: string; error: string }
  | { kind: 'rejected'; code: string; error: string };

export type SendAudit = (audit: AuditRecord) => Promise<SendResult>;

export interface SyncReport {
  sent: number;
  /** Audits the server has accepted and is still processing (polled again later). */
  accepted: number;
  retried: number;
  rejected: number;
  /** Epoch ms of the earliest pending retry, if any. */
  nextAttemptAt?: number;
}

/** What filing did: a new record, an existing one left alone, or a refused one sent again. */
export type FileOutcome =
  | { kind: 'queued'; record: AuditRecord }
  | { kind: 'already'; record: AuditRecord }
  | { kind: 'resent'; record: AuditRecord }
  | { kind: 'no-photo' };

export interface PruneOptions {
  /** Sent audits older than this are deleted. @default 30 days */
  sentMaxAgeMs: number;
  /** At most this many sent or refused audits are kept (pending ones are never pruned). @default 200 */
  maxFinished: number;
}

export const DEFAULT_PRUNE: PruneOptions = { sentMaxAgeMs: 30 * 24 * 3600_000, maxFinished: 200 };

export class AuditQueue {
  constructor(
    private readonly db: IDBPDatabase<ShelfWatchDB>,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    /** How often an accepted audit's job is polled: from 1 s, doubling to 30 s (a store's phones share a key's rate limit). */
    private readonly pollBackoff: BackoffOptions = DEFAULT_POLL_BACKOFF,
  ) {}

  private fresh(audit: NewAudit, id: string): AuditRecord {
    return { ...audit, id, createdAt: this.now(), status: 'pending', attempts: 0, nextAttemptAt: 0 };
  }

  /**
   * Stores an audit as pending under `id` (the Idempotency-Key). An id already queued or sent is
   * left as it is (`already`); a refused one is replaced by the new fields and sent again (`resent`).
   */
  async enqueue(audit: NewAudit, id: string = crypto.randomUUID()): Promise<FileOutcome> {
    const tx = this.db.transaction('audits', 'readwrite');
    const existing = await tx.store.get(id);
    let outcome: FileOutcome;
    if (existing && existing.status !== 'failed') outcome = { kind: 'already', record: existing };
    else {
      const record = existing ? this.resend(existing, audit) : this.fresh(audit, id);
      await tx.store.put(record);
      outcome = { kind: existing ? 'resent' : 'queued', record };
    }
    await tx.done;
    return outcome;
  }

  private resend(existing: AuditRecord, fields: Partial<NewAudit>): AuditRecord {
    const record: AuditRecord = { ...existing, ...fields, status: 'pending', nextAttemptAt: 0 };
    delete record.lastError;
    delete record.lastErrorCode;
    return withoutJob(record);
  }

  /**
   * Files the scan `scanId` (history) as an audit, in one transaction over both stores, so that two
   * tabs filing the same scan at once make one record. The photo moves from the scan to the audit.
   */
  async fileScan(scanId: string, fields: AuditFields): Promise<FileOutcome> {
    const tx = this.db.transaction(['audits', 'scans'], 'readwrite');
    const audits = tx.objectStore('audits');
    const scans = tx.objectStore('scans');
    const [existing, scan] = await Promise.all([audits.get(scanId), scans.get(scanId)]);
    const note = fields.note?.trim();
    const form = { storeId: fields.storeId, aisle: fields.aisle, ...(note ? { note } : {}) };
    let outcome: FileOutcome;
    if (existing && existing.status !== 'failed') outcome = { kind: 'already', record: existing };
    else if (existing) {
      const record = this.resend(existing, form);
      if (!note) delete record.note;
      await audits.put(record);
      outcome = { kind: 'resent', record };
    } else if (!scan?.photo) outcome = { kind: 'no-photo' };
    else {
      const record = this.fresh(
        {
          ...form,
          photo: scan.photo,
          photoType: scan.photoType ?? 'image/jpeg',
          localCount: scan.count,
          ...(scan.downscaledFrom ? { downscaledFrom: scan.downscaledFrom } : {}),
        },
        scanId,
      );
      await audits.add(record);
      const { photo: _moved, photoType: _t, ...rest } = scan;
      await scans.put({ ...rest, storeId: fields.storeId, aisle: fields.aisle });
      outcome = { kind: 'queued', record };
    }
    if (outcome.kind === 'resent' && scan) {
      await scans.put({ ...scan, storeId: fields.storeId, aisle: fields.aisle });
    }
    await tx.done;
    return outcome;
  }

  async get(id: string): Promise<AuditRecord | undefined> {
    return this.db.get('audits', id);
  }

  /** All audits, newest first. */
  async list(): Promise<AuditRecord[]> {
    const all = await this.db.getAllFromIndex('audits', 'createdAt');
    return all.reverse();
  }

  /** Makes a refused audit pending again (after the user fixed the key or the store in Settings). */
  async retry(id: string, fields: Partial<AuditFields> = {}): Promise<void> {
    const tx = this.db.transaction('audits', 'readwrite');
    const rec = await tx.store.get(id);
    if (rec && rec.status === 'failed' && rec.photo) await tx.store.put(this.resend(rec, fields));
    await tx.done;
  }

  /**
   * Deletes sent audits older than `sentMaxAgeMs`, then the oldest finished (sent or refused) ones
   * beyond `maxFinished`. Pending audits are never deleted. Returns how many were deleted.
   */
  async prune(opts: PruneOptions = DEFAULT_PRUNE): Promise<number> {
    const cutoff = this.now() - opts.sentMaxAgeMs;
    const tx = this.db.transaction('audits', 'readwrite');
    const finished = (await tx.store.index('createdAt').getAll()).filter(
      (r) => r.status === 'sent' || r.status === 'failed',
    );
    let deleted = 0;
    let left = finished.length;
    for (const rec of finished) {
      const old = rec.status === 'sent' && (rec.sentAt ?? rec.createdAt) < cutoff;
      if (old || left > opts.maxFinished) {
        await tx.store.delete(rec.id);
        deleted++;
        left--;
      }
    }
    await tx.done;
    return deleted;
  }

  /**
   * Sends every due pending audit once (and polls every due accepted one), oldest first, and records
   * the outcome. Run it under a lock (`withSyncLock`) so that only one sender per origin is active.
   * @param force also send audits whose backoff has not elapsed (connection just came back)
   */
  async sync(send: SendAudit, force = false): Promise<SyncReport> {
    const report: SyncReport = { sent: 0, accepted: 0, retried: 0, rejected: 0 };
    const pending = (await this.db.getAllFromIndex('audits', 'createdAt')).filter(unfinished);
    for (const audit of pending) {
      if (!force && audit.nextAttemptAt > this.now()) {
        report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, audit.nextAttemptAt);
        continue;
      }
      let result: SendResult;
      try {
        result = await send(audit);
      } catch (err) {
        result = { kind: 'retry', code: 'NETWORK', error: err instanceof Error ? err.message : String(err) };
      }
      // Re-read: another tab may have moved this audit on meanwhile.
      const current = await this.db.get('audits', audit.id);
      if (current?.status !== audit.status || current.jobId !== audit.jobId) continue;
      // Uploads made; a poll of an accepted audit's job is not one.
      const attempts = current.status === 'pending' ? current.attempts + 1 : current.attempts;
      if (result.kind === 'accepted') {
        report.accepted++;
        const polls =
          current.status === 'accepted' && current.jobId === result.jobId ? (current.polls ?? 0) + 1 : 1;
        const nextAttemptAt =
          this.now() + backoffDelay(polls, this.pollBackoff, this.random(), result.retryAfterMs);
        const record: AuditRecord = {
          ...current,
          status: 'accepted',
          attempts,
          jobId: result.jobId,
          jobStatus: result.jobStatus,
          polls,
          acceptedAt: current.acceptedAt ?? this.now(),
          nextAttemptAt,
        };
        delete record.lastError;
        delete record.lastErrorCode;
        await this.db.put('audits', record);
        report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, nextAttemptAt);
      } else if (result.kind === 'resubmit') {
        // Its job failed transiently or is gone: submit the photo again under the same key.
        report.retried++;
        const nextAttemptAt = this.now() + backoffDelay(Math.max(1, attempts), this.backoff, this.random());
        await this.db.put('audits', {
          ...withoutJob({ ...current, status: 'pending' }),
          attempts,
          nextAttemptAt,
          lastError: result.error,
          lastErrorCode: result.code,
        });
        report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, nextAttemptAt);
      } else if (result.kind === 'sent') {
        report.sent++;
        const done: AuditRecord = {
          ...current,
          status: 'sent',
          attempts,
          sentAt: this.now(),
          serverId: result.serverId,
        };
        if (result.count !== undefined) done.serverCount = result.count;
        // The server has the photo now (and the official count).
        delete done.photo;
        delete done.lastError;
        delete done.lastErrorCode;
        await this.db.put('audits', withoutJob(done));
      } else if (result.kind === 'rejected') {
        report.rejected++;
        await this.db.put('audits', {
          ...current,
          status: 'failed',
          attempts,
          lastError: result.error,
          lastErrorCode: result.code,
        });
      } else {
        report.retried++;
        const nextAttemptAt =
          this.now() + backoffDelay(Math.max(1, attempts), this.backoff, this.random(), result.retryAfterMs);
        await this.db.put('audits', {
          ...current,
          attempts,
          nextAttemptAt,
          lastError: result.error,
          lastErrorCode: result.code,
        });
        report.nextAttemptAt = Math.min(report.nextAttemptAt ?? Infinity, nextAttemptAt);
        // The server is failing or unreachable: leave the rest for the next round.
        break;
      }
    }
    if (report.nextAttemptAt === undefined) {
      const rest = (await this.db.getAll('audits')).filter(unfinished);
      if (rest.length) report.nextAttemptAt = Math.min(...rest.map((a) => a.nextAttemptAt));
    }
    return report;
  }
}

/** Audits still to send or to follow: pending, or accepted by the server and not yet stored. */
function unfinished(a: AuditRecord): boolean {
  return a.status === 'pending' || a.status === 'accepted';
}

/** The record without the fields of an asynchronous job (it is submitted again, stored or refused). */
function withoutJob(record: AuditRecord): AuditRecord {
  const { jobId: _id, jobStatus: _status, polls: _polls, acceptedAt: _at, ...rest } = record;
  return rest;
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
