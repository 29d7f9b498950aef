import type { AisleSummary, HistoryPoint, TimeRange } from '@shelfwatch/shared';
import type { SqlClient } from './sql-client.js';

/** Points of each aisle's sparkline: the range cut into this many equal spans. */
export const SPARK_BUCKETS = 24;

const iso = (v: Date | string) => new Date(v).toISOString();
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/**
 * Per aisle, in one statement: one pass over the store's range (an index-only scan) aggregates both
 * per aisle and per aisle and span of the sparkline (GROUPING SETS); the latest audit of each aisle
 * is one probe of the index per aisle (LATERAL ... LIMIT 1); the sparkline is a fixed grid of spans,
 * LEFT JOINed so that empty spans are null. Ordered by gap rate, worst first. `day` is the audit's
 * time in days since the epoch: the slopes are per day. date_part, not extract: extract returns
 * numeric, and numeric arithmetic on every row was half the query's time on PGlite.
 */
const SUMMARY_SQL = `
WITH grouped AS (
  SELECT aisle, span, GROUPING(span) = 1 AS whole,
         count(*)::int AS audits, min(created_at) AS first_at, max(created_at) AS last_at,
         avg(count)::float8 AS mean_count, sum(row_count)::int AS rows, sum(gap_count)::int AS gaps,
         sum(gap_count)::float8 / nullif(sum(row_count), 0) AS gap_rate,
         regr_slope(count, day) AS count_per_day, regr_slope(gap_count, day) AS gaps_per_day
  FROM (
    SELECT aisle, created_at, count, row_count, gap_count,
           date_part('epoch', created_at) / 86400 AS day,
           least(floor((date_part('epoch', created_at) - date_part('epoch', $2::timestamptz)) / $4::float8)::int,
                 $5::int - 1) AS span
    FROM audits
    WHERE store_id = $1 AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
  ) a
  GROUP BY GROUPING SETS ((aisle), (aisle, span))
),
sparks AS (
  SELECT p.aisle, json_agg(s.gap_rate ORDER BY g.span) AS spark
  FROM grouped p
  CROSS JOIN generate_series(0, $5::int - 1) AS g(span)
  LEFT JOIN grouped s ON NOT s.whole AND s.aisle = p.aisle AND s.span = g.span
  WHERE p.whole
  GROUP BY p.aisle
)
SELECT p.aisle, p.audits, p.first_at, p.last_at, p.mean_count, p.rows, p.gaps, p.gap_rate,
       p.count_per_day, p.gaps_per_day,
       l.id AS last_id, l.count AS last_count, l.row_count AS last_rows, l.gap_count AS last_gaps, k.spark
FROM grouped p
JOIN sparks k ON k.aisle = p.aisle
CROSS JOIN LATERAL (
  SELECT id, count, row_count, gap_count FROM audits
  WHERE store_id = $1 AND aisle = p.aisle AND created_at >= $2::timestamptz AND created_at < $3::timestamptz
  ORDER BY created_at DESC, id DESC LIMIT 1
) l
WHERE p.whole
ORDER BY p.gap_rate DESC NULLS LAST, p.aisle`;

/** The newest `limit` audits of one aisle in the range (read backwards along the index). */
const HISTORY_SQL = `
SELECT id, created_at, count, row_count, gap_count,
       gap_count::float8 / nullif(row_count, 0) AS gap_rate, photo_id IS NOT NULL AS photo
FROM audits
WHERE store_id = $1 AND aisle = $2 AND created_at >= $3::timestamptz AND created_at < $4::timestamptz
ORDER BY created_at DESC, id DESC
LIMIT $5`;

interface SummaryRow {
  aisle: string;
  audits: number;
  first_at: Date | string;
  last_at: Date | string;
  mean_count: number;
  rows: number;
  gaps: number;
  gap_rate: number | null;
  count_per_day: number | null;
  gaps_per_day: number | null;
  last_id: string;
  last_count: number;
  last_rows: number;
  last_gaps: number;
  spark: (number | null)[] | string;
}

interface HistoryRow {
  id: string;
  created_at: Date | string;
  count: number;
  row_count: number;
  gap_count: number;
  gap_rate: number | null;
  photo: boolean;
}

/** The store dashboard's aggregates, computed in the database; the same SQL on PostgreSQL and PGlite. */
export class DashboardRepository {
  constructor(private readonly db: SqlClient) {}

  /** Every aisle of `storeId` audited in the range, worst gap rate first. */
  async summary(storeId: string, range: TimeRange): Promise<AisleSummary[]> {
    const spanSeconds = (Date.parse(range.until) - Date.parse(range.since)) / 1000 / SPARK_BUCKETS;
    const { rows } = await this.db.query<SummaryRow>(SUMMARY_SQL, [
      storeId,
      range.since,
      range.until,
      spanSeconds,
      SPARK_BUCKETS,
    ]);
    return rows.map((r) => ({
      aisle: r.aisle,
      audits: Number(r.audits),
      firstAt: iso(r.first_at),
      lastAt: iso(r.last_at),
      last: {
        auditId: r.last_id,
        count: Number(r.last_count),
        rows: Number(r.last_rows),
        gaps: Number(r.last_gaps),
      },
      meanCount: Number(r.mean_count),
      rows: Number(r.rows),
      gaps: Number(r.gaps),
      gapRate: num(r.gap_rate),
      trend: { countPerDay: num(r.count_per_day), gapsPerDay: num(r.gaps_per_day) },
      spark: json(r.spark).map(num),
    }));
  }

  /**
   * The audits of one aisle in the range, oldest first: the newest `limit` of them, and whether
   * older ones were left out.
   */
  async history(
    storeId: string,
    aisle: string,
    range: TimeRange,
    limit: number,
  ): Promise<{ points: HistoryPoint[]; truncated: boolean }> {
    const { rows } = await this.db.query<HistoryRow>(HISTORY_SQL, [
      storeId,
      aisle,
      range.since,
      range.until,
      limit + 1,
    ]);
    const truncated = rows.length > limit;
    const points = rows
      .slice(0, limit)
      .reverse()
      .map((r) => ({
        auditId: r.id,
        createdAt: iso(r.created_at),
        count: Number(r.count),
        rows: Number(r.row_count),
        gaps: Number(r.gap_count),
        gapRate: num(r.gap_rate),
        photo: Boolean(r.photo),
      }));
    return { points, truncated };
  }

  /**
   * The plans of both queries (EXPLAIN), for the tests and the benchmark; with `analyze`, run and
   * timed (EXPLAIN (ANALYZE, BUFFERS)). The history is planned with its default limit.
   */
  async explain(
    storeId: string,
    aisle: string,
    range: TimeRange,
    { analyze = false } = {},
  ): Promise<{ summary: string; history: string }> {
    const spanSeconds = (Date.parse(range.until) - Date.parse(range.since)) / 1000 / SPARK_BUCKETS;
    const explain = analyze ? 'EXPLAIN (ANALYZE, BUFFERS)' : 'EXPLAIN';
    const plan = async (sql: string, params: unknown[]) => {
      const { rows } = await this.db.query<{ 'QUERY PLAN': string }>(`${explain} ${sql}`, params);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    return {
      summary: await plan(SUMMARY_SQL, [storeId, range.since, range.until, spanSeconds, SPARK_BUCKETS]),
      history: await plan(HISTORY_SQL, [storeId, aisle, range.since, range.until, 1001]),
    };
  }
}
