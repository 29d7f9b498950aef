import { describe, expect, it } from 'vitest';
import { compareShelves, noEarlierAuditText } from '../compare.ts';

describe('compareShelves', () => {
  const then = {
    count: 180,
    at: 1,
    rows: [
      { count: 90, gaps: 2 },
      { count: 90, gaps: 1 },
    ],
  };

  it('gives count and gap deltas and row-by-row deltas when the rows line up', () => {
    const now = {
      count: 185,
      at: 2,
      rows: [
        { count: 95, gaps: 0 },
        { count: 90, gaps: 1 },
      ],
    };
    expect(compareShelves(then, now)).toEqual({
      countDelta: 5,
      gapsThen: 3,
      gapsNow: 1,
      gapsDelta: -2,
      rowDeltas: [5, 0],
      text: '185 products now, 180 then (+5); 1 gap now, 3 then (−2)',
    });
  });

  it('leaves out the row-by-row deltas when the number of rows differs', () => {
    const now = { count: 1, at: 2, rows: [{ count: 1, gaps: 0 }] };
    const c = compareShelves(then, now);
    expect(c.rowDeltas).toBeUndefined();
    expect(c.text).toBe('1 product now, 180 then (−179); 0 gaps now, 3 then (−3)');
  });
});

describe('noEarlierAuditText', () => {
  it('calls it the first audit only when the server was asked', () => {
    expect(noEarlierAuditText('demo-store', 'E05', 'checked')).toBe(
      'First audit of aisle E05 in demo-store: nothing to compare with yet.',
    );
    const offline = noEarlierAuditText('demo-store', 'E05', 'offline');
    expect(offline).toBe(
      'No earlier audit of aisle E05 in demo-store on this phone; the server was not checked (offline).',
    );
    expect(offline).not.toMatch(/first audit/i);
  });
});
