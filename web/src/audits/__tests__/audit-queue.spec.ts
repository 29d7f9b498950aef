import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openShelfWatchDb } from '../../storage/db.ts';
import { AuditQueue, type NewAudit, type SendAudit, type SendResult } from '../audit-queue.ts';
import { backoffDelay, DEFAULT_BACKOFF } from '../backoff.ts';
import { classifyResponse, httpAuditSender, retryAfterMs } from '../send-audit.ts';

const audit = (aisle: string): NewAudit => ({
  storeId: 'demo-store',
  aisle,
  photo: new Uint8Array([1, 2, 3]).buffer,
  photoType: 'image/jpeg',
  apiKey: 'dev-key',
});

/** A fake server that stores each Idempotency-Key once, like the real one. */
function fakeServer() {
  const stored = new Map<string, string>();
  let failNext = 0;
  let loseNextResponse = 0;
  const send: SendAudit = async (a) => {
    if (failNext > 0) {
      failNext--;
      return { kind: 'retry', error: 'INTERNAL: boom' };
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

describe('AuditQueue', () => {
  it('stores audits as pending with a unique idempotency key', async () => {
    const { q } = await queue();
    const a = await q.enqueue(audit('1'));
    const b = await q.enqueue(audit('2'));
    expect(a.id).not.toBe(b.id);
    expect((await q.list()).map((x) => x.status)).toEqual(['pending', 'pending']);
  });

  it('sends each audit exactly once across repeated syncs', async () => {
    const { q } = await queue();
    const server = fakeServer();
    for (const n of ['1', '2', '3']) await q.enqueue(audit(n));
    expect(await q.sync(server.send)).toMatchObject({ sent: 3, retried: 0 });
    expect(await q.sync(server.send)).toMatchObject({ sent: 0 });
    expect(server.stored.size).toBe(3);
    const list = await q.list();
    expect(list.every((a) => a.status === 'sent' && a.serverCount === 7)).toBe(true);
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
    // The failed one waits for its backoff; the others, never tried, go now.
    const r2 = await q.sync(server.send);
    expect(r2.sent).toBe(2);
    expect(r2.nextAttemptAt).toBe(clock + DEFAULT_BACKOFF.baseMs);
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

  it('marks a refused audit failed, and Retry makes it pending with a new key', async () => {
    const { q } = await queue();
    const a = await q.enqueue({ ...audit('1'), apiKey: 'wrong' });
    const refuse: SendAudit = async (x): Promise<SendResult> =>
      x.apiKey === 'wrong' ? { kind: 'rejected', error: 'UNAUTHORIZED' } : { kind: 'sent', serverId: '1' };
    expect((await q.sync(refuse)).rejected).toBe(1);
    expect((await q.list())[0]).toMatchObject({ status: 'failed', lastError: 'UNAUTHORIZED' });
    await q.retry(a.id, 'dev-key');
    expect((await q.sync(refuse)).sent).toBe(1);
  });

  it('prunes old sent audits only', async () => {
    const { q } = await queue();
    const server = fakeServer();
    await q.enqueue(audit('1'));
    await q.sync(server.send);
    await q.enqueue(audit('2'));
    clock += 10_000;
    await q.prune(5_000);
    expect((await q.list()).map((a) => a.aisle)).toEqual(['2']);
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

  it('classifies answers', async () => {
    expect(await classifyResponse(json(201, { id: 'a1', count: 3 }))).toEqual({
      kind: 'sent',
      serverId: 'a1',
      count: 3,
    });
    expect(
      await classifyResponse(
        json(503, { error: { code: 'QUEUE_FULL', message: 'busy' } }, { 'retry-after': '7' }),
      ),
    ).toEqual({ kind: 'retry', error: 'QUEUE_FULL: busy', retryAfterMs: 7000 });
    expect((await classifyResponse(json(429, {}))).kind).toBe('retry');
    expect((await classifyResponse(json(401, { error: { code: 'UNAUTHORIZED', message: 'no' } }))).kind).toBe(
      'rejected',
    );
  });

  it('parses Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
  });

  it('sends multipart with the bearer key and the audit id as Idempotency-Key', async () => {
    let seen: Request | undefined;
    const send = httpAuditSender('http://x', async (input, init) => {
      seen = new Request(input as string, init);
      return json(201, { id: 9 });
    });
    const { q } = await queue();
    const a = await q.enqueue({ ...audit('4'), note: 'n' });
    expect(await send(a)).toEqual({ kind: 'sent', serverId: '9' });
    expect(seen?.headers.get('idempotency-key')).toBe(a.id);
    expect(seen?.headers.get('authorization')).toBe('Bearer dev-key');
    const form = await seen!.formData();
    expect([form.get('storeId'), form.get('aisle'), form.get('note')]).toEqual(['demo-store', '4', 'n']);
    expect(form.get('image')).toBeInstanceOf(Blob);
  });

  it('turns a network failure into a retry', async () => {
    const send = httpAuditSender('', async () => {
      throw new TypeError('Failed to fetch');
    });
    const { q } = await queue();
    expect((await send(await q.enqueue(audit('5')))).kind).toBe('retry');
  });
});
