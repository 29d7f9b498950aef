import { describe, expect, it } from 'vitest';
import { compareRows, dayRange, defaultDays, gapCount, perDay, perRow, signed } from '../model.ts';

const row = (count: number, gaps: number) => ({
  box: [0, 0, 1, 1] as [number, number, number, number],
  count,
  gaps: Array.from({ length: gaps }, () => [0, 0, 1, 1] as [number, number, number, number]),
});

describe('dashboard model', () => {
  it('turns two local days into the half-open UTC range, both days included', () => {
    const r = dayRange('2026-03-01', '2026-03-03');
    expect(r).toEqual({
      ok: true,
      since: new Date(2026, 2, 1).toISOString(),
      until: new Date(2026, 2, 4).toISOString(),
    });
    expect(dayRange('2026-03-01', '2026-03-01')).toMatchObject({ ok: true });
  });

  it('refuses missing, impossible, reversed and too long ranges with a sentence', () => {
    expect(dayRange('', '2026-03-01')).toEqual({ ok: false, error: 'Enter both dates (From and To).' });
    expect(dayRange('2026-02-30', '2026-03-01')).toMatchObject({ ok: false });
    expect(dayRange('2026-03-02', '2026-03-01')).toEqual({
      ok: false,
      error: 'The To date is before the From date: swap them.',
    });
    expect(dayRange('2025-01-01', '2026-01-02')).toEqual({ ok: false, error: 'Choose at most 366 days.' });
    expect(dayRange('2025-01-02', '2026-01-02')).toMatchObject({ ok: true });
  });

  it('defaults to the last 30 days, today included', () => {
    expect(defaultDays(new Date(2026, 11, 2, 15))).toEqual({ from: '2026-11-03', to: '2026-12-02' });
  });

  it('writes rates, slopes and changes as people read them', () => {
    expect([perRow(null), perRow(3 / 7), perRow(0)]).toEqual(['–', '0.43', '0.00']);
    expect([perDay(null), perDay(2), perDay(-0.46), perDay(0.01)]).toEqual([
      '–',
      '+2.0/day',
      '−0.5/day',
      '±0.0/day',
    ]);
    expect([signed(3), signed(-2), signed(0)]).toEqual(['+3', '−2', '0']);
  });

  it('compares two audits row by row, a row only one of them has with nulls', () => {
    const a = { rows: [row(10, 1), row(8, 0)] };
    const b = { rows: [row(7, 2), row(8, 0), row(3, 1)] };
    expect(compareRows(a, b)).toEqual([
      { row: 1, countA: 10, countB: 7, gapsA: 1, gapsB: 2, delta: -3 },
      { row: 2, countA: 8, countB: 8, gapsA: 0, gapsB: 0, delta: 0 },
      { row: 3, countA: null, countB: 3, gapsA: null, gapsB: 1, delta: null },
    ]);
    expect([gapCount(a), gapCount(b), gapCount({ rows: [] })]).toEqual([1, 3, 0]);
  });
});
