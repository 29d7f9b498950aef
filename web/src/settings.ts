/**
 * User settings, one record in IndexedDB (`kv` / `settings`), so that the service worker reads the
 * same API key as the page when it sends queued audits. Settings of older versions (localStorage
 * `shelfwatch.settings`) are moved here once, at start.
 */
import type { IDBPDatabase } from 'idb';
import type { KeyInfo } from './api/me.ts';
import type { EngineMode } from './engine/policy.ts';
import type { ShelfWatchDB } from './storage/db.ts';

export interface Settings {
  /** Auto / On this device / Server. @default 'auto' */
  engine: EngineMode;
  /** WASM threads: 0 = automatic (cores, at most 4). @default 0 */
  threads: number;
  /** Bearer key for `/audits` and `/me`, read at send time. @default '' */
  apiKey: string;
  /** Store the audits are for. @default '' */
  storeId: string;
  /** Aisles audited lately, newest first (one tap away in the audit form). @default [] */
  recentAisles: { storeId: string; aisle: string }[];
  /** First-run setup finished (or skipped). @default false */
  setupDone: boolean;
  /** What the server said about the key (`GET /me`), kept for offline use. */
  keyInfo?: KeyInfo;
}

export const SETTINGS_KEY = 'shelfwatch.settings';
export const MAX_RECENT_AISLES = 8;

export const DEFAULT_SETTINGS: Settings = {
  engine: 'auto',
  threads: 0,
  apiKey: '',
  storeId: '',
  recentAisles: [],
  setupDone: false,
};

/** Settings from anything stored (older versions, hand edits): unknown or bad fields get defaults. */
export function parseSettings(raw: unknown): Settings {
  const p = (raw && typeof raw === 'object' ? raw : {}) as Partial<Record<keyof Settings, unknown>>;
  const threads = p.threads;
  const s: Settings = {
    engine: p.engine === 'device' || p.engine === 'server' ? p.engine : 'auto',
    threads: Number.isInteger(threads) && (threads as number) >= 0 ? (threads as number) : 0,
    apiKey: typeof p.apiKey === 'string' ? p.apiKey : '',
    storeId: typeof p.storeId === 'string' ? p.storeId : '',
    recentAisles: Array.isArray(p.recentAisles)
      ? p.recentAisles
          .filter(
            (r): r is { storeId: string; aisle: string } =>
              typeof r?.storeId === 'string' && typeof r?.aisle === 'string',
          )
          .slice(0, MAX_RECENT_AISLES)
      : [],
    setupDone: p.setupDone === true,
  };
  const k = p.keyInfo as KeyInfo | undefined;
  if (k && typeof k.keyName === 'string' && Array.isArray(k.stores) && k.limits) s.keyInfo = k;
  return s;
}

/** Reads the settings, moving those of older versions out of `legacy` (localStorage) first. */
export async function loadSettings(
  db: IDBPDatabase<ShelfWatchDB>,
  legacy?: Pick<Storage, 'getItem' | 'removeItem'>,
): Promise<Settings> {
  const old = legacy?.getItem(SETTINGS_KEY);
  if (old) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(old);
    } catch {
      parsed = {};
    }
    const stored = await db.get('kv', 'settings');
    const merged = parseSettings({ ...(stored as object), ...(parsed as object) });
    await saveSettings(db, merged);
    legacy?.removeItem(SETTINGS_KEY);
    return merged;
  }
  return parseSettings(await db.get('kv', 'settings'));
}

export async function saveSettings(db: IDBPDatabase<ShelfWatchDB>, settings: Settings): Promise<void> {
  await db.put('kv', settings, 'settings');
}

/** `recent` with `aisle` of `storeId` moved to the front, capped. */
export function rememberAisle(
  recent: Settings['recentAisles'],
  storeId: string,
  aisle: string,
): Settings['recentAisles'] {
  const rest = recent.filter((r) => !(r.storeId === storeId && r.aisle === aisle));
  return [{ storeId, aisle }, ...rest].slice(0, MAX_RECENT_AISLES);
}
