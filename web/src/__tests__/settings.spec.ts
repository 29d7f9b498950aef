import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  loadSettings,
  parseSettings,
  rememberAisle,
  SETTINGS_KEY,
  saveSettings,
} from '../settings.ts';
import { openShelfWatchDb } from '../storage/db.ts';

function memory(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, removeItem: (k: string) => void m.delete(k), m };
}

describe('settings', () => {
  it('defaults, round-trips through IndexedDB', async () => {
    const db = await openShelfWatchDb(`s-${Math.random()}`);
    expect(await loadSettings(db)).toEqual(DEFAULT_SETTINGS);
    const s = { ...DEFAULT_SETTINGS, engine: 'server' as const, apiKey: 'k', storeId: 'st', setupDone: true };
    await saveSettings(db, s);
    expect(await loadSettings(db)).toEqual(s);
  });

  it('moves settings of older versions out of localStorage once', async () => {
    const db = await openShelfWatchDb(`s-${Math.random()}`);
    const legacy = memory({
      [SETTINGS_KEY]: JSON.stringify({ engine: 'device', threads: 2, apiKey: 'old' }),
    });
    expect(await loadSettings(db, legacy)).toMatchObject({ engine: 'device', threads: 2, apiKey: 'old' });
    expect(legacy.m.has(SETTINGS_KEY)).toBe(false);
    expect(await loadSettings(db, legacy)).toMatchObject({ apiKey: 'old' });
  });

  it('replaces bad values with defaults', () => {
    expect(parseSettings({ engine: 'gpu', threads: -1, apiKey: 3, recentAisles: [{ storeId: 1 }] })).toEqual(
      DEFAULT_SETTINGS,
    );
    expect(parseSettings('garbage')).toEqual(DEFAULT_SETTINGS);
  });

  it('remembers recent aisles, newest first, without duplicates, capped', () => {
    let r = rememberAisle([], 's', '1');
    r = rememberAisle(r, 's', '2');
    r = rememberAisle(r, 's', '1');
    expect(r).toEqual([
      { storeId: 's', aisle: '1' },
      { storeId: 's', aisle: '2' },
    ]);
    for (let i = 0; i < 20; i++) r = rememberAisle(r, 's', String(i));
    expect(r).toHaveLength(8);
  });
});
