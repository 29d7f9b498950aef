/**
 * What every part of the page shares: the database, the stores on it, the settings (with change
 * listeners) and the engine manager. Created once in main.ts and handed to each part, instead of
 * module-level state.
 */
import type { IDBPDatabase } from 'idb';
import type { AuditQueue } from '../audits/audit-queue.ts';
import type { AuditSyncDriver } from '../audits/sync-driver.ts';
import type { EngineManager } from '../engine/engine-manager.ts';
import type { EngineKind } from '../engine/policy.ts';
import type { HistoryStore } from '../history/history-store.ts';
import { DEFAULT_LIMITS, type ServerLimits } from '../photo/limits.ts';
import { type Settings, saveSettings } from '../settings.ts';
import type { ShelfWatchDB } from '../storage/db.ts';

export class AppState {
  private listeners: ((s: Settings, before: Settings) => void)[] = [];
  /** Where the last scan ran (the header names it). */
  scannedOn: EngineKind | undefined;
  /** Called when audits or scans change (queue sync, filing, deleting). */
  private refreshers: (() => void)[] = [];

  constructor(
    readonly db: IDBPDatabase<ShelfWatchDB>,
    public settings: Settings,
    readonly queue: AuditQueue,
    readonly history: HistoryStore,
    readonly manager: EngineManager,
    readonly driver: AuditSyncDriver,
    readonly apiBase: string,
  ) {}

  /** The server's upload limits: from `GET /me` once known, else the server's defaults. */
  limits(): ServerLimits {
    return this.settings.keyInfo?.limits ?? DEFAULT_LIMITS;
  }

  async updateSettings(patch: Partial<Settings>): Promise<void> {
    const before = this.settings;
    this.settings = { ...this.settings, ...patch };
    await saveSettings(this.db, this.settings);
    for (const l of this.listeners) l(this.settings, before);
  }

  onSettings(fn: (s: Settings, before: Settings) => void): void {
    this.listeners.push(fn);
  }

  onChange(fn: () => void): void {
    this.refreshers.push(fn);
  }

  /** Something in IndexedDB changed: redraw the lists and the confirmation. */
  changed(): void {
    for (const r of this.refreshers) r();
  }
}
