/**
 * Past scans in IndexedDB, so a scan can be reopened (boxes and rows over a screen-sized preview),
 * deleted, and filed as an audit later. Capped on every add: at most `cap` scans and `maxBytes` of
 * stored images; only the newest `keepPhotos` scans without an audit keep their full photo (a filed
 * scan's photo has moved to the audit queue).
 */
import type { IDBPDatabase } from 'idb';
import type { ScanRecord, ShelfWatchDB } from '../storage/db.ts';

export interface HistoryLimits {
  /** Most scans kept. @default 50 */
  cap: number;
  /** Most bytes of thumbnails, previews and photos kept. @default 40 MB */
  maxBytes: number;
  /** Scans without an audit that keep their full photo (newest first). @default 3 */
  keepPhotos: number;
}

export const DEFAULT_HISTORY_LIMITS: HistoryLimits = { cap: 50, maxBytes: 40e6, keepPhotos: 3 };

export function storedBytes(s: ScanRecord): number {
  return (s.thumbnail?.byteLength ?? 0) + (s.preview?.byteLength ?? 0) + (s.photo?.byteLength ?? 0);
}

export class HistoryStore {
  private readonly limits: HistoryLimits;

  constructor(
    private readonly db: IDBPDatabase<ShelfWatchDB>,
    limits: Partial<HistoryLimits> = {},
  ) {
    this.limits = { ...DEFAULT_HISTORY_LIMITS, ...limits };
  }

  /** Adds (or replaces) a scan and enforces the limits; returns how many old scans were dropped. */
  async add(scan: ScanRecord): Promise<number> {
    const tx = this.db.transaction('scans', 'readwrite');
    await tx.store.put(scan);
    await tx.done;
    return this.prune(scan.id);
  }

  /**
   * Enforces the limits: drops the full photo of older unfiled scans beyond `keepPhotos`, then the
   * oldest scans beyond `cap` or `maxBytes`. `keep` (the scan just added) is never dropped.
   */
  async prune(keep?: string): Promise<number> {
    const tx = this.db.transaction('scans', 'readwrite');
    const newestFirst = (await tx.store.index('createdAt').getAll()).reverse();
    let withPhoto = 0;
    for (const s of newestFirst) {
      if (!s.photo) continue;
      if (++withPhoto > this.limits.keepPhotos && s.id !== keep) {
        delete s.photo;
        delete s.photoType;
        await tx.store.put(s);
      }
    }
    let bytes = newestFirst.reduce((n, s) => n + storedBytes(s), 0);
    let count = newestFirst.length;
    let dropped = 0;
    for (const old of [...newestFirst].reverse()) {
      if (count <= this.limits.cap && bytes <= this.limits.maxBytes) break;
      if (old.id === keep) continue;
      await tx.store.delete(old.id);
      bytes -= storedBytes(old);
      count--;
      dropped++;
    }
    await tx.done;
    return dropped;
  }

  async get(id: string): Promise<ScanRecord | undefined> {
    return this.db.get('scans', id);
  }

  /** Scans, newest first. */
  async list(): Promise<ScanRecord[]> {
    return (await this.db.getAllFromIndex('scans', 'createdAt')).reverse();
  }

  /** Deletes a scan (an audit already filed from it stays in the queue). */
  async delete(id: string): Promise<void> {
    await this.db.delete('scans', id);
  }

  async clear(): Promise<void> {
    await this.db.clear('scans');
  }
}
