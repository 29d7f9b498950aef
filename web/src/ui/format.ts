/** Text formatting for people: plurals, sizes, durations, short audit ids, relative times. */

export { plural } from '@shelfwatch/shared';

/** Bytes as megabytes with one decimal: 3_700_000 → "3.7 MB" (10^6, as download sizes are shown). */
export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/**
 * A server audit id (UUID) as people read it aloud: the first 8 hex digits, `#3F2A‑91C0` (with a
 * non-breaking hyphen, so the id never wraps across lines).
 */
export function shortAuditId(id: string): string {
  const hex = id
    .replace(/[^0-9a-f]/gi, '')
    .slice(0, 8)
    .toUpperCase();
  return hex.length === 8 ? `#${hex.slice(0, 4)}\u2011${hex.slice(4)}` : `#${id}`;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "just now", "5 minutes ago", "yesterday", else a date. */
export function formatWhen(epochMs: number, now: number = Date.now()): string {
  const s = Math.round((epochMs - now) / 1000);
  if (Math.abs(s) < 45) return 'just now';
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return relative.format(m, 'minute');
  const h = Math.round(m / 60);
  if (Math.abs(h) < 24) return relative.format(h, 'hour');
  const d = Math.round(h / 24);
  if (Math.abs(d) < 7) return relative.format(d, 'day');
  return new Date(epochMs).toLocaleDateString('en', { day: 'numeric', month: 'short', year: 'numeric' });
}

/** A signed difference for comparisons: +5, −2, ±0 (with a real minus sign). */
export function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0';
}
