import { describe, expect, it } from 'vitest';
import { formatMB, formatWhen, plural, shortAuditId, signed } from '../format.ts';

describe('format', () => {
  it('plurals', () => {
    expect([plural(0, 'product'), plural(1, 'product'), plural(2, 'gap'), plural(1200, 'product')]).toEqual([
      '0 products',
      '1 product',
      '2 gaps',
      '1,200 products',
    ]);
  });

  it('short audit ids that never wrap', () => {
    expect(shortAuditId('3f2a91c0-8c1e-4a5e-9a55-7f8e2a1c3d4e')).toBe('#3F2A\u201191C0');
    expect(shortAuditId('x')).toBe('#x');
  });

  it('sizes, deltas, relative times', () => {
    expect(formatMB(14_964_000)).toBe('15.0 MB');
    expect([signed(5), signed(-2), signed(0)]).toEqual(['+5', '−2', '±0']);
    expect(formatWhen(1_000_000, 1_010_000)).toBe('just now');
    expect(formatWhen(0, 5 * 60_000)).toBe('5 minutes ago');
  });
});
