/**
 * The dashboard's calls to the server, with the API key of the PWA's settings: the store summary and
 * an aisle's history (server/src/schemas/dashboard.ts), one audit and its photo (`GET /audits/{id}`,
 * `GET /audits/{id}/photo`), and the CSV of either view (`Accept: text/csv`). Failures are
 * `DashboardError`s with a sentence saying what to do.
 */
import { type AisleHistory, isApiErrorBody, type StoreSummary } from '@shelfwatch/shared';
import type { StoredAudit } from '../api/audit-record.ts';

export type Box = [number, number, number, number];

/** An audit with what the compare view draws: rows with gap boxes, detections with boxes. */
export interface AuditDetail extends StoredAudit {
  rows: { box: Box; count: number; gaps: Box[] }[];
  detections: { box: Box; score: number; label: string; row?: number }[];
}

export class DashboardError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DashboardError';
  }
}

/** What the person reads for a refused request, by status, and what to do about it. */
function explain(status: number, code: string, serverMessage: string | undefined, storeId?: string) {
  if (status === 401)
    return 'The server refused the API key. Open Settings in the scanner and enter the key your manager gave you.';
  if (status === 403)
    return `This API key may not see store ${storeId ?? 'that store'}. Choose one of your stores, or ask for a key for it.`;
  if (status === 429) return 'Too many requests just now. Wait a minute, then choose Show again.';
  if (status === 503) return 'The server is starting or busy. Wait a moment, then choose Show again.';
  if (status === 400 && serverMessage) return `The server could not use this request: ${serverMessage}`;
  return serverMessage
    ? `The server answered ${status} (${code}): ${serverMessage}`
    : `The server answered ${status}. Try again later.`;
}

export class DashboardApi {
  constructor(
    private readonly apiKey: string,
    private readonly fetchFn: typeof fetch = (...a) => fetch(...a),
    private readonly timeoutMs = 20_000,
  ) {}

  private async call(path: string, accept: string, storeId?: string): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchFn(path, {
        headers: { authorization: `Bearer ${this.apiKey}`, accept },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new DashboardError(
        'NETWORK',
        'The server could not be reached. Check the connection, then choose Show again.',
      );
    }
    if (res.ok) return res;
    const body: unknown = await res.json().catch(() => undefined);
    const code = isApiErrorBody(body) ? body.error.code : `HTTP_${res.status}`;
    const message = isApiErrorBody(body) ? body.error.message : undefined;
    throw new DashboardError(code, explain(res.status, code, message, storeId), res.status);
  }

  private async json<T>(path: string, storeId?: string): Promise<T> {
    const res = await this.call(path, 'application/json', storeId);
    try {
      return (await res.json()) as T;
    } catch {
      throw new DashboardError('INVALID_RESPONSE', 'The answer was not from ShelfWatch. Try again later.');
    }
  }

  summary(storeId: string, range: { since: string; until: string }): Promise<StoreSummary> {
    return this.json(summaryPath(storeId, range), storeId);
  }

  history(storeId: string, aisle: string, range: { since: string; until: string }): Promise<AisleHistory> {
    return this.json(historyPath(storeId, aisle, range), storeId);
  }

  audit(id: string): Promise<AuditDetail> {
    return this.json(`/audits/${encodeURIComponent(id)}`);
  }

  /** The audit's photo, or null when it is not kept (404). */
  async photo(id: string): Promise<Blob | null> {
    try {
      return await (await this.call(`/audits/${encodeURIComponent(id)}/photo`, 'image/*')).blob();
    } catch (err) {
      if (err instanceof DashboardError && err.status === 404) return null;
      throw err;
    }
  }

  /** The CSV of a summary or history path, as a file to save. */
  async csv(path: string, storeId: string): Promise<{ blob: Blob; filename: string }> {
    const res = await this.call(path, 'text/csv', storeId);
    const filename =
      /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'export.csv';
    return { blob: await res.blob(), filename };
  }
}

const rangeQuery = (r: { since: string; until: string }) =>
  new URLSearchParams({ since: r.since, until: r.until }).toString();

export function summaryPath(storeId: string, range: { since: string; until: string }): string {
  return `/stores/${encodeURIComponent(storeId)}/summary?${rangeQuery(range)}`;
}

export function historyPath(storeId: string, aisle: string, range: { since: string; until: string }): string {
  return `/stores/${encodeURIComponent(storeId)}/aisles/${encodeURIComponent(aisle)}/history?${rangeQuery(range)}`;
}
