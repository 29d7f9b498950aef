import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../api/audit-record.ts';
import { openShelfWatchDb, type ScanRecord } from '../../storage/db.ts';
import { AuditQueue, type NewAudit, type SendAudit, type SendResult } from '../audit-queue.ts';
import { backoffDelay, DEFAULT_BACKOFF } from '../backoff.ts';
import { classifyResponse, downscaleNote, httpAuditSender, retryAfterMs } from '../send-audit.ts';

const PHOTO = new Uint8Array([1, 2, 3]).buffer;
const audit = (aisle: string): NewAudit => ({
  storeId: 'demo-store',
  aisle,
  photo: PHOTO.slice(0),
  photoType: 'image/jpeg',
});

/** A fake server that stores each Idempotency-Key once, like the real one. */
function fakeServer() {
  const stored = new Map<string, string>();
  let failNext = 0;
  let loseNextResponse = 0;
  const send: SendAudit = async (a) => {
    if (failNext > 0) {
      failNext--;
      return { kind: 'retry', code: 'INTERNAL', error: 'boom' };
    }
    if (!stored.has(a.id)) stored.set(a.id, `srv-${stored.size + 1}`);
    if (loseNextResponse > 0) {
      loseNextResponse--;
      throw new TypeError('Failed to fetch');
    }
    return { kind: 'sent', serverId: stored.get(a.id)!, count: 7 };
  };
  return {
    stored,
    send,
    failNext: (n: number) => {
      failNext = n;
    },
    loseNextResponse: (n: number) => {
      loseNextResponse = n;
    },
  };
}

let dbName: string;
let clock = 1_000_000;
const now = () => clock;

beforeEach(() => {
  dbName = `test-${Math.random()}`;
  clock = 1_000_000;
});
afterEach(() => {
  indexedDB.deleteDatabase(dbName);
});

async function queue() {
  const db = await openShelfWatchDb(dbName);
  return { db, q: new AuditQueue(db, DEFAULT_BACKOFF, now, () => 0) };
}

const scanRecord = (id: string): ScanRecord => ({
  id,
  createdAt: clock,
  count: 12,
  rowCounts: [12],
  gaps: 0,
  engine: 'device',
  ms: 5,
  photo: PHOTO.slice(0),
  photoType: 'image/jpeg',
});

describe('AuditQueue', () => {
  it('stores audits as pending with a unique idempotency key', async () => {
    const { q } = await queue();
    const a = await q.enqueue(audit('1'));
    const b = await q.enqueue(audit('2'));
    expect(a.kind === 'queued' && b.kind === 'queued' && a.record.id !== b.record.id).toBe(true);
    expect((await q.list()).map((x) => x.status)).toEqual(['pending', 'pending']);
  });

  it('one audit per scan: filing a scan twice, even at once (two taps, two tabs), makes one record', async () => {
    const { db, q } = await queue();
    await db.put('scans', scanRecord('scan-1'));
    const other = new AuditQueue(db, DEFAULT_BACKOFF, now, () => 0);
    const outcomes = await Promise.all([
      q.fileScan('scan-1', { storeId: 'demo-store', aisle: '7' }),
      other.fileScan('scan-1', { storeId: 'demo-store', aisle: '7' }),
      q.fileScan('scan-1', { storeId: 'demo-store', aisle: '7' }),
    ]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['already', 'already', 'queued']);
    const list = await q.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 'scan-1', localCount: 12, status: 'pending' });
    // The photo moved from the scan to the audit, and the scan remembers where it was filed.
    const scan = await db.get('scans', 'scan-1');
    expect(scan?.photo).toBeUndefined();
    expect(scan).toMatchObject({ storeId: 'demo-store', aisle: '7' });
    expect(list[0]!.photo?.byteLength).toBe(3);
  });

  it('never stores an API key with an audit', async () => {
    const { db, q } = await queue();
    await db.put('scans', scanRecord('scan-2'));
    await q.fileScan('scan-2', { storeId: 'demo-store', aisle: '7' });
    const raw = JSON.stringify(await db.getAll('audits'), (_k, v) => (v instanceof ArrayBuffer ? '' : v));
    expect(raw).not.toMatch(/apiKey|dev-key|Bearer/);
  });

  it('sends each audit exactly once across repeated syncs and drops the photo once stored', async () => {
    const { q } = await queue();
    const server = fakeServer();
    for (const n of ['1', '2', '3']) await q.enqueue(audit(n));
    expect(await q.sync(server.send)).toMatchObject({ sent: 3, retried: 0 });
    expect(await q.sync(server.send)).toMatchObject({ sent: 0 });
    expect(server.stored.size).toBe(3);
    const list = await q.list();
    expect(list.every((a) => a.status === 'sent' && a.serverCount === 7 && a.photo === undefined)).toBe(true);
  });

  it('survives a "reload": a new queue on the same database sees the pending audits', async () => {
    const first = await queue();
    for (const n of ['1', '2', '3']) await first.q.enqueue(audit(n));
    first.db.close();
    const again = await queue();
    const server = fakeServer();
    await again.q.sync(server.send);
    expect(server.stored.size).toBe(3);
  });

  it('retries after a server error with backoff, then sends everything once', async () => {
    const { q } = await queue();
    const server = fakeServer();
    for (const n of ['1', '2', '3']) await q.enqueue(audit(n));
    server.failNext(1);
    const r1 = await q.sync(server.send);
    expect(r1).toMatchObject({ sent: 0, retried: 1 });
    expect(r1.nextAttemptAt).toBe(clock + DEFAULT_BACKOFF.baseMs);
    const r2 = await q.sync(server.send);
    expect(r2.sent).toBe(2);
    clock += DEFAULT_BACKOFF.baseMs;
    expect((await q.sync(server.send)).sent).toBe(1);
    expect(server.stored.size).toBe(3);
  });

  it('a lost response (stored but unseen) is resent with the same key and not duplicated', async () => {
    const { q } = await queue();
    const server = fakeServer();
    await q.enqueue(audit('1'));
    server.loseNextResponse(1);
    expect((await q.sync(server.send)).retried).toBe(1);
    expect(server.stored.size).toBe(1);
    expect((await q.sync(server.send, true)).sent).toBe(1);
    expect(server.stored.size).toBe(1);
  });

  it('a refused audit is failed with its code; filing the scan again with fixes resends it', async () => {
    const { db, q } = await queue();
    await db.put('scans', scanRecord('scan-3'));
    await q.fileScan('scan-3', { storeId: 'other-store', aisle: '1' });
    const refuse: SendAudit = async (x): Promise<SendResult> =>
      x.storeId === 'other-store'
        ? { kind: 'rejected', code: 'FORBIDDEN_STORE', error: 'no' }
        : { kind: 'sent', serverId: '1' };
    expect((await q.sync(refuse)).rejected).toBe(1);
    expect(await q.get('scan-3')).toMatchObject({ status: 'failed', lastErrorCode: 'FORBIDDEN_STORE' });
    const again = await q.fileScan('scan-3', { storeId: 'demo-store', aisle: '1' });
    expect(again.kind).toBe('resent');
    expect((await q.sync(refuse)).sent).toBe(1);
    expect(await q.list()).toHaveLength(1);
  });

  it('prune: deletes old sent audits and caps finished ones; never a pending one', async () => {
    const { q } = await queue();
    const server = fakeServer();
    for (const n of ['1', '2', '3', '4']) {
      await q.enqueue(audit(n));
      clock += 1;
    }
    await q.sync(server.send);
    await q.enqueue(audit('pending'));
    clock += 10_000;
    await q.enqueue(audit('5'));
    await q.sync(server.send);
    clock += 1;
    await q.enqueue(audit('pending-2'));
    // '1'..'4' and 'pending' were sent 10 s ago, '5' just now. Keep sent for 5 s, at most 1 finished.
    server.failNext(100);
    await q.sync(server.send);
    expect(await q.prune({ sentMaxAgeMs: 5_000, maxFinished: 1 })).toBe(5);
    expect((await q.list()).map((a) => `${a.aisle}:${a.status}`)).toEqual(['pending-2:pending', '5:sent']);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, caps, applies jitter and honours Retry-After', () => {
    const o = { baseMs: 1000, maxMs: 10_000, jitter: 0.5 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, o, 0))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(backoffDelay(1, o, 1)).toBe(500);
    expect(backoffDelay(1, o, 0, 30_000)).toBe(30_000);
  });
});

describe('send-audit', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const sent = { idempotencyKey: 'k-1', storeId: 'demo-store', aisle: '7', sha256: 'ab'.repeat(32) };
  const record = {
    id: '0b7f3a52-8c1e-4a5e-9a55-7f8e2a1c3d4e',
    createdAt: '2025-01-01T00:00:00.000Z',
    storeId: 'demo-store',
    aisle: '7',
    note: null,
    model: { name: 'm', version: '1' },
    count: 3,
    rows: [],
    detections: [],
    image: { width: 1, height: 1, sha256: 'ab'.repeat(32) },
  };

  it('counts as stored only our own audit record, answered 201 or 200', async () => {
    expect(await classifyResponse(json(201, record), sent)).toEqual({
      kind: 'sent',
      serverId: record.id,
      count: 3,
    });
    expect((await classifyResponse(json(200, record), sent)).kind).toBe('sent');
  });

  it("a captive portal's 200 (or any 2xx that is not our record) is retried, never counted as stored", async () => {
    const portal = new Response('<html>Sign in to Wi-Fi</html>', {
      status: 200,
      headers: { 'content-type': 'text/html' },
    });
    expect(await classifyResponse(portal, sent)).toMatchObject({ kind: 'retry', code: 'INVALID_RESPONSE' });
    expect((await classifyResponse(json(200, { ok: true }), sent)).kind).toBe('retry');
    expect((await classifyResponse(new Response(null, { status: 204 }), sent)).kind).toBe('retry');
    expect((await classifyResponse(json(202, record), sent)).kind).toBe('retry');
    const otherPhoto = { ...record, image: { ...record.image, sha256: 'cd'.repeat(32) } };
    expect(await classifyResponse(json(201, otherPhoto), sent)).toMatchObject({
      kind: 'retry',
      error: /another photo/,
    });
    expect((await classifyResponse(json(201, { ...record, aisle: '8' }), sent)).kind).toBe('retry');
    // A server that echoes the Idempotency-Key must echo ours.
    expect(
      await classifyResponse(json(201, record, { 'idempotency-key': 'someone-else' }), sent),
    ).toMatchObject({ kind: 'retry', error: /Idempotency-Key/ });
    expect((await classifyResponse(json(201, { ...record, idempotencyKey: 'k-2' }), sent)).kind).toBe(
      'retry',
    );
    expect((await classifyResponse(json(201, { ...record, idempotencyKey: 'k-1' }), sent)).kind).toBe('sent');
  });

  it('retries 408/429/5xx with Retry-After, refuses other 4xx with their code', async () => {
    expect(
      await classifyResponse(
        json(503, { error: { code: 'QUEUE_FULL', message: 'busy' } }, { 'retry-after': '7' }),
        sent,
      ),
    ).toEqual({ kind: 'retry', code: 'QUEUE_FULL', error: 'busy', retryAfterMs: 7000 });
    expect((await classifyResponse(json(429, {}), sent)).kind).toBe('retry');
    expect(
      await classifyResponse(json(401, { error: { code: 'UNAUTHORIZED', message: 'no' } }), sent),
    ).toEqual({
      kind: 'rejected',
      code: 'UNAUTHORIZED',
      error: 'no',
    });
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('sends multipart with the key read at send time and the audit id as Idempotency-Key', async () => {
    let seen: Request | undefined;
    let key = 'first-key';
    const { q } = await queue();
    const outcome = await q.enqueue({
      ...audit('4'),
      note: 'n',
      downscaledFrom: {
        originalWidth: 9000,
        originalHeight: 6000,
        originalBytes: 1,
        width: 8660,
        height: 5773,
      },
    });
    if (outcome.kind !== 'queued') throw new Error(outcome.kind);
    const a = outcome.record;
    const sha = await sha256Hex(a.photo!);
    const send = httpAuditSender(
      async () => key,
      'http://x',
      async (input, init) => {
        seen = new Request(input as string, init);
        return json(201, { ...record, aisle: '4', image: { width: 1, height: 1, sha256: sha } });
      },
    );
    key = 'changed-key';
    expect(await send(a)).toEqual({ kind: 'sent', serverId: record.id, count: 3 });
    expect(seen?.headers.get('idempotency-key')).toBe(a.id);
    expect(seen?.headers.get('prefer')).toBe('respond-async');
    expect(seen?.headers.get('authorization')).toBe('Bearer changed-key');
    const form = await seen!.formData();
    expect([form.get('storeId'), form.get('aisle')]).toEqual(['demo-store', '4']);
    expect(form.get('note')).toBe(
      "n [Photo downscaled on the device from 9000x6000 to 8660x5773 to fit the server's limits.]",
    );
    expect(form.get('image')).toBeInstanceOf(Blob);
  });

  it('without an API key nothing is sent; a network failure is a retry', async () => {
    const { q } = await queue();
    const o = await q.enqueue(audit('5'));
    if (o.kind !== 'queued') throw new Error(o.kind);
    let calls = 0;
    const noKey = httpAuditSender(
      async () => '',
      '',
      async () => {
        calls++;
        return json(201, record);
      },
    );
    expect(await noKey(o.record)).toMatchObject({ kind: 'retry', code: 'NO_API_KEY' });
    expect(calls).toBe(0);
    const offline = httpAuditSender(
      async () => 'k',
      '',
      async () => {
        throw new TypeError('Failed to fetch');
      },
    );
    expect(await offline(o.record)).toMatchObject({ kind: 'retry', code: 'NETWORK' });
    expect(downscaleNote(undefined)).toBe('');
  });
});
