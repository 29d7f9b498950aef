import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openShelfWatchDb, type ScanRecord } from '../../storage/db.ts';
import { HistoryStore } from '../history-store.ts';

const scan = (n: number, thumbBytes = 0): ScanRecord => ({
  id: `s${n}`,
  createdAt: 1000 + n,
  count: n,
  rowCounts: [n],
  gaps: 0,
  engine: 'device',
  ms: 10,
  ...(thumbBytes ? { thumbnail: new ArrayBuffer(thumbBytes), thumbnailType: 'image/jpeg' } : {}),
});

describe('HistoryStore', () => {
  it('keeps the newest `cap` scans, newest first', async () => {
    const h = new HistoryStore(await openShelfWatchDb(`h-${Math.random()}`), 3);
    for (let n = 1; n <= 5; n++) await h.add(scan(n));
    expect((await h.list()).map((s) => s.id)).toEqual(['s5', 's4', 's3']);
  });

  it('drops the oldest scans when thumbnails exceed the byte cap, never the new one', async () => {
    const h = new HistoryStore(await openShelfWatchDb(`h-${Math.random()}`), 50, 2500);
    await h.add(scan(1, 1000));
    await h.add(scan(2, 1000));
    expect(await h.add(scan(3, 1000))).toBe(1);
    expect((await h.list()).map((s) => s.id)).toEqual(['s3', 's2']);
    await h.add(scan(4, 5000));
    expect((await h.list()).map((s) => s.id)).toEqual(['s4']);
  });
});
