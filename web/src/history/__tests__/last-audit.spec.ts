import { describe, expect, it } from 'vitest';
import type { AuditQueue } from '../../audits/audit-queue.ts';
import type { HistoryStore } from '../history-store.ts';
import { lastAuditOf } from '../last-audit.ts';

const q = { storeId: 'demo-store', aisle: 'E05', scanId: 'scan-now' };
// No sent audit of the aisle on this phone.
const deps = {
  apiKey: 'dev-key',
  apiBase: '',
  queue: { list: async () => [] } as unknown as AuditQueue,
  history: { get: async () => undefined } as unknown as HistoryStore,
};

describe('lastAuditOf', () => {
  it('says whether "none" comes from the server or only from this phone', async () => {
    let asked = 0;
    const fetchFn = async () => {
      asked++;
      return Response.json({ items: [] });
    };
    expect(await lastAuditOf(q, { ...deps, online: true, fetchFn })).toEqual({ server: 'checked' });
    expect(await lastAuditOf(q, { ...deps, online: false, fetchFn })).toEqual({ server: 'offline' });
    expect(await lastAuditOf(q, { ...deps, apiKey: '', online: true, fetchFn })).toEqual({
      server: 'no API key',
    });
    expect(asked).toBe(1);
    const down = async (): Promise<Response> => {
      throw new TypeError('Failed to fetch');
    };
    expect(await lastAuditOf(q, { ...deps, online: true, fetchFn: down })).toEqual({ server: 'no answer' });
  });
});
