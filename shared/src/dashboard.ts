/**
 * The store dashboard's wire types (`GET /stores/{storeId}/summary`, `GET /stores/{storeId}/aisles/
 * {aisle}/history`): built by the server's SQL, read by the dashboard page. The server's TypeBox
 * schemas are checked to equal these at the type level (server/test/contract.spec.ts).
 */

/** A half-open time range `[since, until)`, ISO 8601 UTC. */
export interface TimeRange {
  since: string;
  until: string;
}

/** One aisle of a store over a range. */
export interface AisleSummary {
  aisle: string;
  audits: number;
  firstAt: string;
  lastAt: string;
  last: { auditId: string; count: number; rows: number; gaps: number };
  meanCount: number;
  rows: number;
  gaps: number;
  /** gaps / rows over the range; null when no audit found a row. */
  gapRate: number | null;
  /** Least-squares slopes over the range, per day; null with fewer than two audits (or all at once). */
  trend: { countPerDay: number | null; gapsPerDay: number | null };
  /** Gap rate per span of the range (oldest first); null where no audit (or no row). */
  spark: (number | null)[];
}

/** A store's aisles over a range, worst gap rate first. */
export interface StoreSummary {
  storeId: string;
  range: TimeRange;
  aisles: AisleSummary[];
}

/** One audit of an aisle as a point of its time series. */
export interface HistoryPoint {
  auditId: string;
  createdAt: string;
  count: number;
  rows: number;
  gaps: number;
  gapRate: number | null;
  /** Whether the photo is kept (`GET /audits/{id}/photo`). */
  photo: boolean;
}

/** An aisle's audits over a range, oldest first. */
export interface AisleHistory {
  storeId: string;
  aisle: string;
  range: TimeRange;
  /** Older audits of the range were left out (the `limit`). */
  truncated: boolean;
  points: HistoryPoint[];
}
