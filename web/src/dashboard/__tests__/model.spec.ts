import { describe, expect, it } from 'vitest';
import {
  aisleNote,
  auditOption,
  compareNote,
  compareRows,
  dayRange,
  defaultDays,
  gapCount,
  perDay,
  perRow,
  timeRange,
  when,
} from '../model.ts';

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

  it('counts audits in words: "1 audit", not "1 audits"', () => {
    const one = new Date(2026, 11, 3, 14, 22).toISOString();
    const two = new Date(2026, 11, 4, 9, 5).toISOString();
    expect(aisleNote([{ createdAt: one }], false)).toBe(`1 audit on ${when(one)}.`);
    expect(aisleNote([{ createdAt: one }, { createdAt: two }], false)).toBe(
      `2 audits from ${when(one)} to ${when(two)}.`,
    );
    expect(aisleNote([], false)).toBe('No audits of this aisle in the range.');
  });

  it('labels the compare pickers short, with the time and the counts', () => {
    const at = (h: number, m: number) => new Date(2026, 11, 3, h, m).toISOString();
    const morning = auditOption({ createdAt: at(9, 5), count: 212, gaps: 1 });
    const afternoon = auditOption({ createdAt: at(14, 22), count: 1, gaps: 3 });
    expect(morning).toMatch(/ · 212 products, 1 gap$/);
    expect(afternoon).toMatch(/:22.* · 1 product, 3 gaps$/);
    expect(morning.split(' · ')[0]).not.toBe(afternoon.split(' · ')[0]); // same day, told apart
    expect(morning).not.toMatch(/2026/);
    expect(auditOption({ createdAt: at(9, 5), count: 212, gaps: 1 }, true)).toMatch(/2026/);
    expect(morning.length).toBeLessThanOrEqual(40);
  });

  it('says why there is nothing to compare with fewer than two audits', () => {
    expect(compareNote(1)).toMatch(/needs two audits of this aisle/);
    expect(compareNote(0)).toMatch(/needs two audits/);
    expect(compareNote(2)).toBeUndefined();
  });

  it("pads a single audit's time axis to a day either side", () => {
    expect(timeRange([1_800_000_000])).toEqual([1_799_913_600, 1_800_086_400]);
    expect(timeRange([1_800_000_000, 1_800_000_000])).toEqual([1_799_913_600, 1_800_086_400]);
    expect(timeRange([100, 200])).toBeUndefined();
    expect(timeRange([])).toBeUndefined();
  });
});
