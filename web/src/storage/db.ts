/**
 * The PWA's IndexedDB (idb): queued audits, scan history and small settings. Photos are stored as
 * ArrayBuffers with their MIME type (Blob-in-IndexedDB has been unreliable on some WebKit builds).
 * Also opened by the service worker for Background Sync.
 */
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

export type AuditStatus = 'pending' | 'sent' | 'failed';

export interface AuditRecord {
  /** Client-generated UUID, sent as the `Idempotency-Key`: the server stores each key once. */
  id: string;
  storeId: string;
  aisle: string;
  note?: string;
  photo: ArrayBuffer;
  photoType: string;
  /** API key captured when the audit was filed, so a background sync can send it. */
  apiKey: string;
  /** Count shown to the user when filed (the server's stored count is official). */
  localCount?: number;
  createdAt: number;
  status: AuditStatus;
  attempts: number;
  /** Epoch ms before which no retry is made. */
  nextAttemptAt: number;
  lastError?: string;
  /** The server's record id and count once stored. */
  serverId?: string;
  serverCount?: number;
  sentAt?: number;
}

export interface ScanRecord {
  id: string;
  createdAt: number;
  count: number;
  rowCounts: number[];
  gaps: number;
  engine: 'device' | 'server';
  ms: number;
  thumbnail?: ArrayBuffer;
  thumbnailType?: string;
}

export interface ShelfWatchDB extends DBSchema {
  audits: { key: string; value: AuditRecord; indexes: { createdAt: number } };
  scans: { key: string; value: ScanRecord; indexes: { createdAt: number } };
  kv: { key: string; value: unknown };
}

export const DB_NAME = 'shelfwatch';
export const DB_VERSION = 1;

export function openShelfWatchDb(name: string = DB_NAME): Promise<IDBPDatabase<ShelfWatchDB>> {
  return openDB<ShelfWatchDB>(name, DB_VERSION, {
    upgrade(db) {
      const audits = db.createObjectStore('audits', { keyPath: 'id' });
      audits.createIndex('createdAt', 'createdAt');
      const scans = db.createObjectStore('scans', { keyPath: 'id' });
      scans.createIndex('createdAt', 'createdAt');
      db.createObjectStore('kv');
    },
  });
}
