/**
 * The last audit of an aisle before this one, for "compare with the last audit": the server's records
 * when it can be reached (audits filed from any phone), else this phone's own sent audits. Whether the
 * server was asked comes with it: "none on this phone" is not "the first audit of the aisle".
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

/** The server's records were searched, or why they were not. */
export type ServerCheck = 'checked' | 'offline' | 'no API key' | 'no answer';

export interface LastAuditAnswer {
  /** Absent when neither the server (if checked) nor this phone has an earlier audit of the aisle. */
  last?: LastAudit;
  server: ServerCheck;
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
): Promise<LastAuditAnswer> {
  let server: ServerCheck = !deps.online ? 'offline' : !deps.apiKey ? 'no API key' : 'no answer';
  if (server === 'no answer') {
    try {
      const fetchFn = deps.fetchFn ?? ((...a) => fetch(...a));
      const r = await fetchFn(`${deps.apiBase}/audits?storeId=${encodeURIComponent(q.storeId)}&limit=100`, {
        headers: { authorization: `Bearer ${deps.apiKey}` },
        signal: AbortSignal.timeout(10_000),
      });
      if (r.ok) {
        const { items } = (await r.json()) as { items: StoredAudit[] };
        const last = items.find((a) => a.aisle === q.aisle && a.id !== q.serverId);
        server = 'checked';
        if (!last) return { server };
        return {
          server,
          last: {
            source: 'server',
            serverId: last.id,
            summary: {
              count: last.count,
              at: Date.parse(last.createdAt),
              rows: last.rows.map((row) => ({ count: row.count, gaps: row.gaps.length })),
            },
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
  if (!mine) return { server };
  const scan = await deps.history.get(mine.id);
  const rows = scan?.result?.rows.map((row) => ({ count: row.count, gaps: row.gaps.length })) ?? [];
  return {
    server,
    last: {
      source: 'phone',
      ...(mine.serverId ? { serverId: mine.serverId } : {}),
      summary: { count: mine.serverCount ?? mine.localCount ?? 0, at: mine.sentAt ?? mine.createdAt, rows },
    },
  };
}
