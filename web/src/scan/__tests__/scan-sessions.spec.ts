import { describe, expect, it } from 'vitest';
import { isAbort, ScanSessions } from '../scan-sessions.ts';

describe('ScanSessions', () => {
  it('a new session aborts the previous one, whose late result is then stale', async () => {
    const s = new ScanSessions();
    const a = s.begin();
    const b = s.begin();
    expect(a.signal.aborted).toBe(true);
    expect(isAbort(a.signal.reason)).toBe(true);
    expect(s.isCurrent(a.id)).toBe(false);
    expect(s.isCurrent(b.id)).toBe(true);
    expect(b.id).toBeGreaterThan(a.id);
  });

  it('cancel leaves no current session', () => {
    const s = new ScanSessions();
    const a = s.begin();
    s.cancel();
    expect(a.signal.aborted).toBe(true);
    expect(s.isCurrent(a.id)).toBe(false);
    expect(s.currentId).toBeUndefined();
  });

  it('drops the slower of two overlapping scans that finishes last', async () => {
    const s = new ScanSessions();
    const shown: string[] = [];
    const run = async (name: string, ms: number) => {
      const { id } = s.begin();
      await new Promise((r) => setTimeout(r, ms));
      if (s.isCurrent(id)) shown.push(name);
    };
    await Promise.all([run('first (slow)', 30), run('second (fast)', 1)]);
    expect(shown).toEqual(['second (fast)']);
  });
});
