import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openShelfWatchDb, type ScanRecord } from '../../storage/db.ts';
import { HistoryStore } from '../history-store.ts';

const scan = (n: number, bytes: { thumb?: number; photo?: number } = {}): ScanRecord => ({
  id: `s${n}`,
  createdAt: 1000 + n,
  count: n,
  rowCounts: [n],
  gaps: 0,
  engine: 'device',
  ms: 10,
  ...(bytes.thumb ? { thumbnail: new ArrayBuffer(bytes.thumb), thumbnailType: 'image/jpeg' } : {}),
  ...(bytes.photo ? { photo: new ArrayBuffer(bytes.photo), photoType: 'image/jpeg' } : {}),
});

const db = () => openShelfWatchDb(`h-${Math.random()}`);

describe('HistoryStore', () => {
  it('keeps the newest `cap` scans, newest first', async () => {
    const h = new HistoryStore(await db(), { cap: 3 });
    for (let n = 1; n <= 5; n++) await h.add(scan(n));
    expect((await h.list()).map((s) => s.id)).toEqual(['s5', 's4', 's3']);
  });

  it('drops the oldest scans when stored images exceed the byte cap, never the new one', async () => {
    const h = new HistoryStore(await db(), { maxBytes: 2500 });
    await h.add(scan(1, { thumb: 1000 }));
    await h.add(scan(2, { thumb: 1000 }));
    expect(await h.add(scan(3, { thumb: 1000 }))).toBe(1);
    expect((await h.list()).map((s) => s.id)).toEqual(['s3', 's2']);
    await h.add(scan(4, { thumb: 5000 }));
    expect((await h.list()).map((s) => s.id)).toEqual(['s4']);
  });

  it('only the newest `keepPhotos` unfiled scans keep their full photo', async () => {
    const h = new HistoryStore(await db(), { keepPhotos: 2 });
    for (let n = 1; n <= 4; n++) await h.add(scan(n, { photo: 100 }));
    const list = await h.list();
    expect(list.map((s) => [s.id, s.photo?.byteLength ?? 0])).toEqual([
      ['s4', 100],
      ['s3', 100],
      ['s2', 0],
      ['s1', 0],
    ]);
    expect(list[3]!.photoType).toBeUndefined();
  });

  it('reopens and deletes a scan', async () => {
    const h = new HistoryStore(await db());
    await h.add(scan(1));
    expect((await h.get('s1'))?.count).toBe(1);
    await h.delete('s1');
    expect(await h.get('s1')).toBeUndefined();
  });
});
