/** User settings, kept in localStorage (read synchronously at start, before the first paint). */
import type { EngineMode } from './engine/policy.ts';

export interface Settings {
  /** Auto / On this device / Server. @default 'auto' */
  engine: EngineMode;
  /** WASM threads: 0 = automatic (cores, at most 4). @default 0 */
  threads: number;
  /** Bearer key for `POST /audits`. @default '' */
  apiKey: string;
  /** Store id pre-filled in the audit form. @default '' */
  storeId: string;
}

export const SETTINGS_KEY = 'shelfwatch.settings';

export const DEFAULT_SETTINGS: Settings = { engine: 'auto', threads: 0, apiKey: '', storeId: '' };

export function loadSettings(storage: Pick<Storage, 'getItem'> = localStorage): Settings {
  try {
    const raw = storage.getItem(SETTINGS_KEY);
    const parsed = raw ? (JSON.parse(raw) as Partial<Settings>) : {};
    const engine = parsed.engine === 'device' || parsed.engine === 'server' ? parsed.engine : 'auto';
    const threads = Number.isInteger(parsed.threads) && parsed.threads! >= 0 ? parsed.threads! : 0;
    return {
      engine,
      threads,
      apiKey: typeof parsed.apiKey === 'string' ? parsed.apiKey : '',
      storeId: typeof parsed.storeId === 'string' ? parsed.storeId : '',
    };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export function saveSettings(settings: Settings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(SETTINGS_KEY, JSON.stringify(settings));
}
