/** Past scans in IndexedDB, capped: the oldest are dropped beyond `cap` entries or `maxBytes` of thumbnails. */
import type { IDBPDatabase } from 'idb';
import type { ScanRecord, ShelfWatchDB } from '../storage/db.ts';

export class HistoryStore {
  constructor(
    private readonly db: IDBPDatabase<ShelfWatchDB>,
    private readonly cap = 50,
    private readonly maxBytes = 5 * 1024 * 1024,
  ) {}

  /** Adds a scan and enforces the cap; returns how many old scans were dropped. */
  async add(scan: ScanRecord): Promise<number> {
    const tx = this.db.transaction('scans', 'readwrite');
    await tx.store.put(scan);
    const all = await tx.store.index('createdAt').getAll();
    let bytes = all.reduce((n, s) => n + (s.thumbnail?.byteLength ?? 0), 0);
    let dropped = 0;
    for (const old of all) {
      if (all.length - dropped <= this.cap && bytes <= this.maxBytes) break;
      if (old.id === scan.id) continue;
      await tx.store.delete(old.id);
      bytes -= old.thumbnail?.byteLength ?? 0;
      dropped++;
    }
    await tx.done;
    return dropped;
  }

  /** Scans, newest first. */
  async list(): Promise<ScanRecord[]> {
    return (await this.db.getAllFromIndex('scans', 'createdAt')).reverse();
  }

  async clear(): Promise<void> {
    await this.db.clear('scans');
  }
}
