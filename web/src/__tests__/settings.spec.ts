import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, loadSettings, SETTINGS_KEY, saveSettings } from '../settings.ts';

function memory(): Storage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) } as Storage;
}

describe('settings', () => {
  it('round-trips and defaults', () => {
    const s = memory();
    expect(loadSettings(s)).toEqual(DEFAULT_SETTINGS);
    saveSettings({ engine: 'server', threads: 2, apiKey: 'k', storeId: 'st' }, s);
    expect(loadSettings(s)).toEqual({ engine: 'server', threads: 2, apiKey: 'k', storeId: 'st' });
  });

  it('ignores garbage', () => {
    const s = memory();
    s.setItem(SETTINGS_KEY, '{"engine":"gpu","threads":-3}');
    expect(loadSettings(s)).toEqual(DEFAULT_SETTINGS);
    s.setItem(SETTINGS_KEY, 'not json');
    expect(loadSettings(s)).toEqual(DEFAULT_SETTINGS);
  });
});
