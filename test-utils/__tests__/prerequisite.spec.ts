import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCi, needSharedData, prerequisite } from '../src/prerequisite.js';

afterEach(() => vi.restoreAllMocks());

describe('prerequisite', () => {
  it('is true when present, whatever CI says', () => {
    expect(prerequisite('x', true, 'hint', { CI: 'true' })).toBe(true);
    expect(prerequisite('x', true, 'hint', {})).toBe(true);
  });

  it('fails under CI when missing, naming what and how to get it', () => {
    expect(() => prerequisite('promtool', false, 'apt-get install -y prometheus', { CI: 'true' })).toThrow(
      /promtool is missing, and CI=true .*apt-get install -y prometheus/,
    );
  });

  it('skips with a message outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(prerequisite('chromium', false, 'apt-get install -y chromium', {})).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/\[skipped\] chromium is missing/));
  });

  it('reads CI as CI services set it', () => {
    expect([
      isCi({ CI: 'true' }),
      isCi({ CI: '1' }),
      isCi({ CI: 'false' }),
      isCi({ CI: '' }),
      isCi({}),
    ]).toEqual([true, true, false, false, false]);
  });
});

describe('needSharedData', () => {
  it('is true for a path that is there, fails under CI for one that is not, unless declared absent', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(needSharedData(import.meta.dirname, { CI: 'true' })).toBe(true);
    expect(() => needSharedData('/no/such/shared/data', { CI: 'true' })).toThrow(
      /SHELFWATCH_NO_SHARED_DATA=1/,
    );
    expect(needSharedData('/no/such/shared/data', { CI: 'true', SHELFWATCH_NO_SHARED_DATA: '1' })).toBe(
      false,
    );
    expect(needSharedData('/no/such/shared/data', {})).toBe(false);
  });
});
