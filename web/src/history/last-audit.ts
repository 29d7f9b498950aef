/**
 * The last audit of an aisle before this one, for "compare with the last audit": the server's records
 * when it can be reached (audits filed from any phone), else this phone's own sent audits.
 */
import type { StoredAudit } from '../api/audit-record.ts';
import type { AuditQueue } from '../audits/audit-queue.ts';
import type { ShelfSummary } from './compare.ts';
import type { HistoryStore } from './history-store.ts';

export interface LastAudit {
  summary: ShelfSummary;
  source: 'server' | 'phone';
  serverId?: string;
}

export interface LastAuditQuery {
  storeId: string;
  aisle: string;
  /** This scan (its audit is not "the last one"). */
  scanId: string;
  /** This scan's server record id, when stored. */
  serverId?: string;
}

export async function lastAuditOf(
  q: LastAuditQuery,
  deps: {
    apiKey: string;
    apiBase: string;
    online: boolean;
    queue: AuditQueue;
    history: HistoryStore;
    fetchFn?: typeof fetch;
  },
): Promise<LastAudit | undefined> {
  if (deps.online && deps.apiKey) {
    try {
      const fetchFn = deps.fetchFn ?? ((...a) => fetch(...a));
      const r = await fetchFn(`${deps.apiBase}/audits?storeId=${encodeURIComponent(q.storeId)}&limit=100`, {
        headers: { authorization: `Bearer ${deps.apiKey}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (r.ok) {
        const { items } = (await r.json()) as { items: StoredAudit[] };
        const last = items.find((a) => a.aisle === q.aisle && a.id !== q.serverId);
        if (!last) return undefined;
        return {
          source: 'server',
          serverId: last.id,
          summary: {
            count: last.count,
            at: Date.parse(last.createdAt),
            rows: last.rows.map((row) => ({ count: row.count, gaps: row.gaps.length })),
          },
        };
      }
    } catch {
      // Unreachable: fall back to what this phone knows.
    }
  }
  const mine = (await deps.queue.list()).find(
    (a) => a.status === 'sent' && a.storeId === q.storeId && a.aisle === q.aisle && a.id !== q.scanId,
  );
  if (!mine) return undefined;
  const scan = await deps.history.get(mine.id);
  const rows = scan?.result?.rows.map((row) => ({ count: row.count, gaps: row.gaps.length })) ?? [];
  return {
    source: 'phone',
    ...(mine.serverId ? { serverId: mine.serverId } : {}),
    summary: { count: mine.serverCount ?? mine.localCount ?? 0, at: mine.sentAt ?? mine.createdAt, rows },
  };
}
