import { describe, expect, it } from 'vitest';
import {
  assessDevice,
  DEFAULT_THRESHOLDS,
  type DeviceCapabilities,
  type DeviceState,
  engineOrder,
  judgeWarmup,
  shouldStartDevice,
} from '../policy.ts';

const capable: DeviceCapabilities = {
  wasmSimd: true,
  workerImaging: true,
  crossOriginIsolated: true,
  cores: 8,
  memoryGb: 8,
  modelShipped: true,
};

describe('assessDevice', () => {
  it('accepts a capable device and caps threads at maxThreads', () => {
    expect(assessDevice(capable)).toMatchObject({ state: 'idle', threads: 4 });
  });

  it('uses one thread without cross-origin isolation (no SharedArrayBuffer)', () => {
    expect(assessDevice({ ...capable, crossOriginIsolated: false }).threads).toBe(1);
  });

  it('uses all cores when fewer than maxThreads', () => {
    expect(assessDevice({ ...capable, cores: 2 }).threads).toBe(2);
  });

  it.each([
    [{ wasmSimd: false }, /SIMD/],
    [{ workerImaging: false }, /OffscreenCanvas/],
    [{ modelShipped: false }, /no model/],
  ])('marks %o unsupported', (patch, reason) => {
    const a = assessDevice({ ...capable, ...patch });
    expect(a.state).toBe('unsupported');
    expect(a.reason).toMatch(reason);
  });

  it('marks low memory or few cores as weak, and ignores what the browser does not tell', () => {
    expect(assessDevice({ ...capable, memoryGb: 1 }).state).toBe('weak');
    expect(assessDevice({ ...capable, cores: 1 }).state).toBe('weak');
    const { cores: _c, memoryGb: _m, ...unknown } = capable;
    expect(assessDevice(unknown).state).toBe('idle');
  });
});

describe('judgeWarmup', () => {
  it('compares against the budget (inclusive)', () => {
    expect(judgeWarmup(DEFAULT_THRESHOLDS.warmupBudgetMs)).toBe('ready');
    expect(judgeWarmup(DEFAULT_THRESHOLDS.warmupBudgetMs + 1)).toBe('slow');
    expect(judgeWarmup(900, { ...DEFAULT_THRESHOLDS, warmupBudgetMs: 500 })).toBe('slow');
  });
});

describe('shouldStartDevice', () => {
  it('starts an idle device unless the user chose the server', () => {
    expect(shouldStartDevice('auto', 'idle')).toBe(true);
    expect(shouldStartDevice('device', 'idle')).toBe(true);
    expect(shouldStartDevice('server', 'idle')).toBe(false);
  });
  it('starts a weak device only when forced, never an unsupported or running one', () => {
    expect(shouldStartDevice('device', 'weak')).toBe(true);
    expect(shouldStartDevice('auto', 'weak')).toBe(false);
    for (const s of ['unsupported', 'loading', 'ready', 'slow', 'failed'] as DeviceState[]) {
      expect(shouldStartDevice('device', s)).toBe(false);
    }
  });
});

describe('engineOrder', () => {
  const order = (mode: 'auto' | 'device' | 'server', device: DeviceState, online = true) =>
    engineOrder({ mode, device, online });

  it('Auto uses the device only after a warm-up within budget, else the server first', () => {
    expect(order('auto', 'ready')).toEqual(['device', 'server']);
    expect(order('auto', 'slow')).toEqual(['server', 'device']);
    expect(order('auto', 'loading')).toEqual(['server', 'device']);
    expect(order('auto', 'weak')).toEqual(['server', 'device']);
  });

  it('falls back to the server when the device failed or cannot run', () => {
    expect(order('auto', 'failed')).toEqual(['server']);
    expect(order('device', 'failed')).toEqual(['server']);
    expect(order('device', 'unsupported')).toEqual(['server']);
  });

  it('honours a forced mode but keeps the other engine as fallback', () => {
    expect(order('device', 'slow')).toEqual(['device', 'server']);
    expect(order('device', 'weak')).toEqual(['device', 'server']);
    expect(order('server', 'ready')).toEqual(['server', 'device']);
    expect(order('server', 'idle')).toEqual(['server', 'device']);
  });

  it('offline, goes to the device first and skips the unreachable server', () => {
    expect(order('auto', 'loading', false)).toEqual(['device']);
    expect(order('server', 'ready', false)).toEqual(['device']);
    expect(order('auto', 'slow', false)).toEqual(['device']);
  });

  it('offline with no usable device still names the server (the scan then reports the error)', () => {
    expect(order('auto', 'failed', false)).toEqual(['server']);
  });
});
