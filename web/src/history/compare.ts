/**
 * "Compare with the last audit of this aisle": the count and the gaps then and now, and row by row
 * when both photos show the same number of rows (otherwise a row-by-row list would pair the wrong
 * shelves).
 */
import { plural, signed } from '../ui/format.ts';
import type { ServerCheck } from './last-audit.ts';

export interface ShelfSummary {
  count: number;
  /** Products and gaps per row, top to bottom. */
  rows: { count: number; gaps: number }[];
  /** Epoch ms of the audit or scan. */
  at: number;
}

export interface Comparison {
  countDelta: number;
  gapsThen: number;
  gapsNow: number;
  gapsDelta: number;
  /** Per-row product deltas, when both have the same number of rows. */
  rowDeltas?: number[];
  /** One line for people, e.g. "185 products now, 180 then (+5); 1 gap now, 3 then (−2)". */
  text: string;
}

const gapsOf = (s: ShelfSummary) => s.rows.reduce((n, r) => n + r.gaps, 0);

export function compareShelves(then: ShelfSummary, now: ShelfSummary): Comparison {
  const gapsThen = gapsOf(then);
  const gapsNow = gapsOf(now);
  const countDelta = now.count - then.count;
  const gapsDelta = gapsNow - gapsThen;
  const c: Comparison = {
    countDelta,
    gapsThen,
    gapsNow,
    gapsDelta,
    text:
      `${plural(now.count, 'product')} now, ${then.count} then (${signed(countDelta)}); ` +
      `${plural(gapsNow, 'gap')} now, ${gapsThen} then (${signed(gapsDelta)})`,
  };
  if (then.rows.length === now.rows.length && now.rows.length > 0) {
    c.rowDeltas = now.rows.map((r, i) => r.count - then.rows[i]!.count);
  }
  return c;
}

/**
 * Nothing to compare with: the first audit of the aisle when the server's records were searched, else
 * only none on this phone (the server was not asked).
 */
export function noEarlierAuditText(storeId: string, aisle: string, server: ServerCheck): string {
  return server === 'checked'
    ? `First audit of aisle ${aisle} in ${storeId}: nothing to compare with yet.`
    : `No earlier audit of aisle ${aisle} in ${storeId} on this phone; the server was not checked (${server}).`;
}
