import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobMismatch } from '../../api/audit-job.ts';
import { sha256Hex } from '../../api/audit-record.ts';
import { openShelfWatchDb } from '../../storage/db.ts';
import { auditStatus } from '../../ui/audit-status.ts';
import { AuditQueue, type SendAudit, type SendResult } from '../audit-queue.ts';
import { DEFAULT_BACKOFF, DEFAULT_POLL_BACKOFF } from '../backoff.ts';
import { classifyResponse, httpAuditSender } from '../send-audit.ts';

// Issue 13: the PWA submits with `Prefer: respond-async`; a 202 with our job makes the audit
// `accepted`, later syncs poll the job, and the official count arrives when it is done.

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const KEY = '5c1b7c1e-4f59-4b44-9d3b-2a6b0d0e9f10';
const JOB_ID = '9a3f2c1d-7b6e-4d5c-8a9b-0c1d2e3f4a5b';
const AUDIT_ID = '0b7f3a52-8c1e-4a5e-9a55-7f8e2a1c3d4e';
const SHA = 'ab'.repeat(32);
const sent = { idempotencyKey: KEY, storeId: 'demo-store', aisle: '7', sha256: SHA };
const job = (over: Record<string, unknown> = {}) => ({
  job: {
    id: JOB_ID,
    status: 'queued',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    storeId: 'demo-store',
    aisle: '7',
    idempotencyKey: KEY,
    image: { sha256: SHA },
    attempts: 0,
    ...over,
  },
});
const record = {
  id: AUDIT_ID,
  createdAt: '2026-01-01T00:00:01.000Z',
  storeId: 'demo-store',
  aisle: '7',
  note: null,
  model: { name: 'm', version: '1' },
  count: 42,
  rows: [],
  detections: [],
  image: { width: 1, height: 1, sha256: SHA },
};

describe('job answers', () => {
  it('a 202 with our job is accepted; its Retry-After paces the polls', async () => {
    expect(
      await classifyResponse(json(202, job(), { 'retry-after': '1', 'idempotency-key': KEY }), sent),
    ).toEqual({
      kind: 'accepted',
      jobId: JOB_ID,
      jobStatus: 'queued',
      retryAfterMs: 1000,
    });
  });

  it("a captive portal's 202 or 200, or someone else's job, is retried, never taken as accepted", async () => {
    const portal = new Response('<html>Sign in</html>', {
      status: 202,
      headers: { 'content-type': 'text/html' },
    });
    expect(await classifyResponse(portal, sent)).toMatchObject({ kind: 'retry', code: 'INVALID_RESPONSE' });
    for (const [over, why] of [
      [{ idempotencyKey: 'other' }, /Idempotency-Key/],
      [{ idempotencyKey: null }, /Idempotency-Key/],
      [{ aisle: '8' }, /store or aisle/],
      [{ image: { sha256: 'cd'.repeat(32) } }, /another photo/],
      [{ status: 'lost' }, /status/],
      [{ id: 'not-a-uuid' }, /job id/],
      [{ status: 'done' }, /without its audit/],
      [{ status: 'failed' }, /without its error/],
    ] as const) {
      expect(jobMismatch(job(over), sent), JSON.stringify(over)).toMatch(why);
      expect((await classifyResponse(json(202, job(over)), sent)).kind).toBe('retry');
    }
    // polling: the answer must be the job we asked for
    expect(await classifyResponse(json(200, job()), sent, 'f'.repeat(8) + JOB_ID.slice(8))).toMatchObject({
      kind: 'retry',
      error: /another job/,
    });
    expect(await classifyResponse(json(202, job(), { 'idempotency-key': 'other' }), sent)).toMatchObject({
      kind: 'retry',
    });
  });

  it('polling: done names the audit, failed is refused or submitted again, 404 submits again', async () => {
    expect(await classifyResponse(json(200, job({ status: 'running' })), sent, JOB_ID)).toMatchObject({
      kind: 'accepted',
      jobStatus: 'running',
    });
    expect(
      await classifyResponse(json(200, job({ status: 'done', auditId: AUDIT_ID })), sent, JOB_ID),
    ).toEqual({
      kind: 'done',
      auditId: AUDIT_ID,
    });
    // the synchronous route's client error: refused for good, with its code
    const corrupt = job({ status: 'failed', error: { code: 'UNDECODABLE_IMAGE', message: 'bad jpeg' } });
    expect(await classifyResponse(json(200, corrupt), sent, JOB_ID)).toEqual({
      kind: 'rejected',
      code: 'UNDECODABLE_IMAGE',
      error: 'bad jpeg',
    });
    // dead-lettered after transient failures: the same key runs the job again
    const timedOut = job({ status: 'failed', error: { code: 'INFERENCE_TIMEOUT', message: 'slow' } });
    expect(await classifyResponse(json(200, timedOut), sent, JOB_ID)).toMatchObject({
      kind: 'resubmit',
      code: 'INFERENCE_TIMEOUT',
    });
    expect(
      await classifyResponse(
        json(404, { error: { code: 'NOT_FOUND', message: 'Job not found.' } }),
        sent,
        JOB_ID,
      ),
    ).toMatchObject({ kind: 'resubmit', code: 'JOB_NOT_FOUND' });
    expect(
      (await classifyResponse(json(503, { error: { code: 'NOT_READY', message: '' } }), sent, JOB_ID)).kind,
    ).toBe('retry');
  });
});

describe('the queue with an asynchronous server', () => {
  let dbName: string;
  let clock: number;
  beforeEach(() => {
    dbName = `async-${Math.random()}`;
    clock = 1_000_000;
  });
  afterEach(() => {
    indexedDB.deleteDatabase(dbName);
  });

  async function setup() {
    const db = await openShelfWatchDb(dbName);
    const q = new AuditQueue(
      db,
      DEFAULT_BACKOFF,
      () => clock,
      () => 0,
    );
    const o = await q.enqueue(
      { storeId: 'demo-store', aisle: '7', photo: new Uint8Array([1, 2, 3]).buffer, photoType: 'image/jpeg' },
      KEY,
    );
    if (o.kind !== 'queued') throw new Error(o.kind);
    return { q, id: o.record.id };
  }

  it('pending -> accepted (photo kept, polls paced 1 s, 2 s, 4 s) -> sent with the official count', async () => {
    const { q, id } = await setup();
    const answers: SendResult[] = [
      { kind: 'accepted', jobId: JOB_ID, jobStatus: 'queued', retryAfterMs: 1000 },
      { kind: 'accepted', jobId: JOB_ID, jobStatus: 'running', retryAfterMs: 1000 },
      { kind: 'accepted', jobId: JOB_ID, jobStatus: 'running', retryAfterMs: 1000 },
      { kind: 'sent', serverId: AUDIT_ID, count: 42 },
    ];
    const seen: string[] = [];
    const send: SendAudit = async (a) => {
      seen.push(a.status);
      return answers.shift()!;
    };
    expect(await q.sync(send)).toMatchObject({ accepted: 1, sent: 0 });
    let a = (await q.get(id))!;
    expect(a).toMatchObject({
      status: 'accepted',
      jobId: JOB_ID,
      jobStatus: 'queued',
      polls: 1,
      attempts: 1,
    });
    expect(a.photo?.byteLength).toBe(3);
    expect(a.nextAttemptAt - clock).toBe(DEFAULT_POLL_BACKOFF.baseMs);
    expect(auditStatus(a).label).toBe('Accepted');
    // Not due yet: nothing is polled.
    expect(await q.sync(send)).toMatchObject({ accepted: 0 });
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      clock = a.nextAttemptAt;
      await q.sync(send);
      a = (await q.get(id))!;
      delays.push(a.nextAttemptAt - clock);
    }
    expect(delays).toEqual([2000, 4000]);
    expect(a).toMatchObject({ jobStatus: 'running', polls: 3, attempts: 1 });
    expect(auditStatus(a).text).toMatch(/counting it now/);
    // Accepted audits are unfinished: pruning leaves them alone.
    expect(await q.prune({ sentMaxAgeMs: 0, maxFinished: 0 })).toBe(0);
    clock = a.nextAttemptAt;
    expect(await q.sync(send)).toMatchObject({ sent: 1 });
    a = (await q.get(id))!;
    expect(a).toMatchObject({ status: 'sent', serverId: AUDIT_ID, serverCount: 42, attempts: 1 });
    expect(a.photo).toBeUndefined();
    expect(a.jobId).toBeUndefined();
    expect(seen).toEqual(['pending', 'accepted', 'accepted', 'accepted']);
  });

  it('a job that failed transiently (or is gone) is submitted again under the same key', async () => {
    const { q, id } = await setup();
    const answers: SendResult[] = [
      { kind: 'accepted', jobId: JOB_ID, jobStatus: 'queued' },
      { kind: 'resubmit', code: 'INFERENCE_TIMEOUT', error: 'slow' },
      { kind: 'accepted', jobId: JOB_ID, jobStatus: 'queued' },
    ];
    const statuses: string[] = [];
    const send: SendAudit = async (a) => {
      statuses.push(`${a.status}:${a.id}`);
      return answers.shift()!;
    };
    await q.sync(send, true);
    await q.sync(send, true);
    const a = (await q.get(id))!;
    expect(a).toMatchObject({ status: 'pending', lastErrorCode: 'INFERENCE_TIMEOUT', attempts: 1 });
    expect(a.jobId).toBeUndefined();
    await q.sync(send, true);
    expect((await q.get(id))!).toMatchObject({ status: 'accepted', attempts: 2 });
    expect(statuses).toEqual([`pending:${KEY}`, `accepted:${KEY}`, `pending:${KEY}`]);
  });

  it('a refusal found by the job (a damaged photo) is final, like the synchronous 4xx', async () => {
    const { q, id } = await setup();
    const answers: SendResult[] = [
      { kind: 'accepted', jobId: JOB_ID, jobStatus: 'queued' },
      { kind: 'rejected', code: 'UNDECODABLE_IMAGE', error: 'bad' },
    ];
    const send: SendAudit = async () => answers.shift()!;
    await q.sync(send, true);
    expect(await q.sync(send, true)).toMatchObject({ rejected: 1 });
    const a = (await q.get(id))!;
    expect(a).toMatchObject({ status: 'failed', lastErrorCode: 'UNDECODABLE_IMAGE' });
    expect(auditStatus(a).action).toBe('retake');
  });
});

describe('httpAuditSender, asynchronously', () => {
  it('submits with Prefer: respond-async, polls the job, then reads and checks the audit', async () => {
    const db = await openShelfWatchDb(`sender-${Math.random()}`);
    const q = new AuditQueue(db);
    const photo = new Uint8Array([9, 8, 7, 6]).buffer;
    const o = await q.enqueue({ storeId: 'demo-store', aisle: '7', photo, photoType: 'image/jpeg' }, KEY);
    if (o.kind !== 'queued') throw new Error(o.kind);
    const sha = await sha256Hex(photo);
    const requests: { method: string; url: string; prefer: string | null; auth: string | null }[] = [];
    let jobState = 'queued';
    const fetchFn = async (input: RequestInfo | URL, init?: RequestInit) => {
      const r = new Request(input as string, init);
      requests.push({
        method: r.method,
        url: r.url,
        prefer: r.headers.get('prefer'),
        auth: r.headers.get('authorization'),
      });
      const image = { sha256: sha };
      if (r.method === 'POST')
        return json(202, job({ image }), { 'retry-after': '1', 'idempotency-key': KEY });
      if (r.url.endsWith(`/audits/jobs/${JOB_ID}`))
        return json(
          200,
          job({ image, status: jobState, ...(jobState === 'done' ? { auditId: AUDIT_ID } : {}) }),
        );
      if (r.url.endsWith(`/audits/${AUDIT_ID}`))
        return json(200, { ...record, image: { ...record.image, sha256: sha } });
      return json(404, { error: { code: 'NOT_FOUND', message: 'no' } });
    };
    const send = httpAuditSender(async () => 'the-key', 'http://x', fetchFn);
    expect(await q.sync(send)).toMatchObject({ accepted: 1 });
    expect(requests[0]).toEqual({
      method: 'POST',
      url: 'http://x/audits',
      prefer: 'respond-async',
      auth: 'Bearer the-key',
    });
    expect(await q.sync(send, true)).toMatchObject({ accepted: 1 });
    expect(requests[1]).toMatchObject({ method: 'GET', url: `http://x/audits/jobs/${JOB_ID}` });
    jobState = 'done';
    expect(await q.sync(send, true)).toMatchObject({ sent: 1 });
    expect(requests.slice(2).map((r) => r.url)).toEqual([
      `http://x/audits/jobs/${JOB_ID}`,
      `http://x/audits/${AUDIT_ID}`,
    ]);
    expect(await q.get(KEY)).toMatchObject({ status: 'sent', serverId: AUDIT_ID, serverCount: 42 });
    db.close();
  });
});
