/**
 * The PWA's IndexedDB (idb): queued audits, scan history and settings. Photos are stored as
 * ArrayBuffers with their MIME type (Blob-in-IndexedDB has been unreliable on some WebKit builds).
 * Also opened by the service worker for Background Sync.
 *
 * Where a photo lives: with its scan until an audit is filed, then with the audit until the server
 * has stored it, then nowhere (the server has it; history keeps a small preview). API keys are never
 * stored with an audit: the sender reads the current key from the settings when it sends.
 */
import type { BoxXyxy } from '@shelfwatch/shared';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/**
 * pending: to be sent; accepted: the server took it (202) and is counting it, the official count comes
 * when its job is done; sent: stored, with the official count; failed: refused for good.
 */
export type AuditStatus = 'pending' | 'accepted' | 'sent' | 'failed';

/** A photo made smaller on the device to fit the server's limits: its size before and after. */
export interface Downscaled {
  originalWidth: number;
  originalHeight: number;
  originalBytes: number;
  width: number;
  height: number;
}

export interface AuditRecord {
  /** The scan's id, sent as the `Idempotency-Key`: one audit per scan, stored once by the server. */
  id: string;
  storeId: string;
  aisle: string;
  note?: string;
  /** The photo to upload; dropped once the server has stored the audit. */
  photo?: ArrayBuffer;
  photoType: string;
  /** Count shown to the user when filed (the server's stored count is official). */
  localCount?: number;
  /** Set when the photo was made smaller on the device to fit the server's limits. */
  downscaledFrom?: Downscaled;
  createdAt: number;
  status: AuditStatus;
  attempts: number;
  /** Epoch ms before which no retry is made. */
  nextAttemptAt: number;
  lastError?: string;
  /** Error code of the last failure (server catalogue or the PWA's own, see api/messages.ts). */
  lastErrorCode?: string;
  /** The server's job once accepted (202), its last known state, polls so far and when it was accepted. */
  jobId?: string;
  jobStatus?: 'queued' | 'running';
  polls?: number;
  acceptedAt?: number;
  /** The server's record id and count once stored. */
  serverId?: string;
  serverCount?: number;
  sentAt?: number;
}

/** The boxes and rows of a scan, enough to draw it again. */
export interface StoredResult {
  image: { width: number; height: number };
  model: { name: string; version: string };
  boxes: BoxXyxy[];
  rows: { box: BoxXyxy; count: number; gaps: BoxXyxy[]; line?: [[number, number], [number, number]] }[];
}

export interface ScanRecord {
  /** UUID; also the Idempotency-Key of its audit. */
  id: string;
  createdAt: number;
  count: number;
  rowCounts: number[];
  gaps: number;
  engine: 'device' | 'server';
  ms: number;
  thumbnail?: ArrayBuffer;
  thumbnailType?: string;
  /** A screen-sized JPEG to draw the result on when the scan is reopened. */
  preview?: ArrayBuffer;
  previewType?: string;
  result?: StoredResult;
  /** The photo as it would be uploaded, kept until an audit is filed (or the newest few only). */
  photo?: ArrayBuffer;
  photoType?: string;
  downscaledFrom?: Downscaled;
  /** Quality warnings the user accepted ("use anyway"). */
  warnings?: string[];
  /** Store and aisle once an audit was filed. */
  storeId?: string;
  aisle?: string;
}

export interface ShelfWatchDB extends DBSchema {
  audits: { key: string; value: AuditRecord; indexes: { createdAt: number } };
  scans: { key: string; value: ScanRecord; indexes: { createdAt: number } };
  kv: { key: string; value: unknown };
}

export const DB_NAME = 'shelfwatch';
export const DB_VERSION = 2;

export function openShelfWatchDb(name: string = DB_NAME): Promise<IDBPDatabase<ShelfWatchDB>> {
  return openDB<ShelfWatchDB>(name, DB_VERSION, {
    async upgrade(db, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        const audits = db.createObjectStore('audits', { keyPath: 'id' });
        audits.createIndex('createdAt', 'createdAt');
        const scans = db.createObjectStore('scans', { keyPath: 'id' });
        scans.createIndex('createdAt', 'createdAt');
        db.createObjectStore('kv');
      }
      if (oldVersion === 1) {
        // Version 1 kept the API key with every audit and the photo of sent ones: drop both.
        let cursor = await tx.objectStore('audits').openCursor();
        while (cursor) {
          const rec = { ...cursor.value } as AuditRecord & { apiKey?: string };
          delete rec.apiKey;
          if (rec.status === 'sent') delete rec.photo;
          await cursor.update(rec);
          cursor = await cursor.continue();
        }
      }
    },
  });
}
