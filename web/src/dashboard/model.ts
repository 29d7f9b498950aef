/** The dashboard's pure parts: date range of the form, numbers as people read them, the compare table. */
import type { HistoryPoint } from '@shelfwatch/shared';
import { plural } from '../ui/format.ts';
import type { AuditDetail } from './api.ts';

/** The server's longest range (MAX_RANGE_DAYS in server/src/schemas/dashboard.ts). */
export const MAX_RANGE_DAYS = 366;
export const DEFAULT_DAYS = 30;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` of a local day. */
export function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The form's default: the last DEFAULT_DAYS days, today included. */
export function defaultDays(now: Date = new Date()): { from: string; to: string } {
  const from = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (DEFAULT_DAYS - 1));
  return { from: isoDay(from), to: isoDay(now) };
}

function localMidnight(day: string): Date | undefined {
  const m = DATE.exec(day);
  if (!m) return undefined;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDay(d) === day ? d : undefined;
}

/**
 * The range `[since, until)` of two local days, both included: from the start of `from` to the start
 * of the day after `to`, in UTC. An error sentence when the days are missing, reversed or too far apart.
 */
export function dayRange(
  from: string,
  to: string,
): { ok: true; since: string; until: string } | { ok: false; error: string } {
  const start = localMidnight(from);
  const end = localMidnight(to);
  if (!start || !end) return { ok: false, error: 'Enter both dates (From and To).' };
  if (end < start) return { ok: false, error: 'The To date is before the From date: swap them.' };
  const until = new Date(end.getFullYear(), end.getMonth(), end.getDate() + 1);
  if (until.getTime() - start.getTime() > MAX_RANGE_DAYS * 86_400_000)
    return { ok: false, error: `Choose at most ${MAX_RANGE_DAYS} days.` };
  return { ok: true, since: start.toISOString(), until: until.toISOString() };
}

/** A gap rate (gaps per shelf row), two decimals, or a dash when no row was seen. */
export function perRow(rate: number | null): string {
  return rate === null ? '–' : rate.toFixed(2);
}

/** A slope per day, signed, one decimal; a dash without one. */
export function perDay(slope: number | null): string {
  if (slope === null) return '–';
  const v = Math.round(slope * 10) / 10;
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(1)}/day`;
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The aisle chart's note: how many audits, over which span. */
export function aisleNote(points: readonly Pick<HistoryPoint, 'createdAt'>[], truncated: boolean): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return 'No audits of this aisle in the range.';
  const span =
    first === last
      ? `on ${when(first.createdAt)}`
      : `from ${when(first.createdAt)} to ${when(last.createdAt)}`;
  return `${plural(points.length, 'audit')} ${span}${truncated ? ' (the newest 1,000; choose a shorter range for the older ones)' : ''}.`;
}

/**
 * An audit in the compare pickers, short enough for a phone's select: day and time (the year only
 * when the audits span more than one), products and gaps, e.g. "Dec 3, 2:22 PM · 212 products, 3 gaps".
 */
export function auditOption(p: Pick<HistoryPoint, 'createdAt' | 'count' | 'gaps'>, withYear = false): string {
  const at = new Date(p.createdAt).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    ...(withYear ? { year: 'numeric' } : {}),
  });
  return `${at} · ${plural(p.count, 'product')}, ${plural(p.gaps, 'gap')}`;
}

/** Under "Compare two audits" when the aisle has fewer than two in the range (else undefined). */
export function compareNote(audits: number): string | undefined {
  if (audits >= 2) return undefined;
  return `Comparing needs two audits of this aisle; the range has ${audits === 0 ? 'none' : 'one'}. Choose an earlier From date, or audit the aisle again.`;
}

/**
 * The chart's time range (epoch s) when its audits are all at one time: a day either side (uPlot pads a
 * single time by 1,000 days, a three-year axis). Undefined otherwise (uPlot's own span).
 */
export function timeRange(times: readonly number[]): [number, number] | undefined {
  const first = times[0];
  if (first === undefined || first !== times[times.length - 1]) return undefined;
  return [first - 86_400, first + 86_400];
}

export interface CompareRow {
  /** 1-based, top shelf first. */
  row: number;
  countA: number | null;
  countB: number | null;
  gapsA: number | null;
  gapsB: number | null;
  /** countB - countA when both audits have the row. */
  delta: number | null;
}

/**
 * Two audits of an aisle row by row (rows are sorted top to bottom in both): counts, gaps and the
 * change; a row only one audit found has nulls for the other.
 */
export function compareRows(a: Pick<AuditDetail, 'rows'>, b: Pick<AuditDetail, 'rows'>): CompareRow[] {
  const n = Math.max(a.rows.length, b.rows.length);
  return Array.from({ length: n }, (_, i) => {
    const ra = a.rows[i];
    const rb = b.rows[i];
    return {
      row: i + 1,
      countA: ra?.count ?? null,
      countB: rb?.count ?? null,
      gapsA: ra ? ra.gaps.length : null,
      gapsB: rb ? rb.gaps.length : null,
      delta: ra && rb ? rb.count - ra.count : null,
    };
  });
}

/** Total gaps of an audit. */
export function gapCount(a: Pick<AuditDetail, 'rows'>): number {
  return a.rows.reduce((s, r) => s + r.gaps.length, 0);
}
