import type { PredictResult } from '@shelfwatch/shared';
import { describe, expect, it, vi } from 'vitest';
import type { ProgressCallback } from '../detector-api.ts';
import { ClientImageError, type DeviceEngine, EngineManager, type ServerEngine } from '../engine-manager.ts';
import type { DeviceCapabilities, EngineMode } from '../policy.ts';

const caps: DeviceCapabilities = {
  wasmSimd: true,
  workerImaging: true,
  crossOriginIsolated: true,
  cores: 4,
  memoryGb: 8,
  modelShipped: true,
};

function result(count: number): PredictResult {
  return {
    model: { name: 'm', version: '1' },
    image: { width: 10, height: 10 },
    count,
    detections: [],
    shelf: { rows: [] },
    timingsMs: { decode: 0, preprocess: 0, inference: 0, postprocess: 0, total: 0 },
  };
}

function fakes(opts: { startFails?: boolean; warmupMs?: number; serverFails?: Error } = {}) {
  const device: DeviceEngine = {
    start: vi.fn(async (onProgress?: ProgressCallback) => {
      onProgress?.('model', 5, 10);
      onProgress?.('wasm', 30, 0);
      if (opts.startFails) throw new Error('worker failed to start');
      return { threads: 4 };
    }),
    warmup: vi.fn(async () => opts.warmupMs ?? 100),
    detect: vi.fn(async () => result(1)),
    dispose: vi.fn(),
  };
  const server: ServerEngine = {
    detect: vi.fn(async () => {
      if (opts.serverFails) throw opts.serverFails;
      return result(2);
    }),
  };
  return { device, server };
}

function manager(mode: EngineMode, f: ReturnType<typeof fakes>, online = true) {
  return new EngineManager({ caps, mode, device: f.device, server: f.server, isOnline: () => online });
}

describe('EngineManager', () => {
  it('Auto: warm-up within budget makes the device run scans', async () => {
    const f = fakes({ warmupMs: 200 });
    const m = manager('auto', f);
    await m.startDevice();
    expect(m.snapshot()).toMatchObject({ device: 'ready', threads: 4, warmupMs: 200 });
    const out = await m.scan(new Blob());
    expect(out.engine).toBe('device');
    expect(f.server.detect).not.toHaveBeenCalled();
  });

  it('Auto: a slow warm-up sends scans to the server', async () => {
    const f = fakes({ warmupMs: 60_000 });
    const m = manager('auto', f);
    await m.startDevice();
    expect(m.snapshot().device).toBe('slow');
    expect((await m.scan(new Blob())).engine).toBe('server');
  });

  it('falls back to the server when the worker cannot start, and remembers it', async () => {
    const f = fakes({ startFails: true });
    const m = manager('device', f);
    const out = await m.scan(new Blob());
    expect(out.engine).toBe('server');
    expect(out.fallbacks).toEqual([{ engine: 'device', error: 'worker failed to start' }]);
    expect(m.snapshot().device).toBe('failed');
    expect(f.device.dispose).toHaveBeenCalled();
    await m.scan(new Blob());
    expect(f.device.start).toHaveBeenCalledTimes(1);
  });

  it('falls back to the device when the server is unreachable', async () => {
    const f = fakes({ serverFails: new TypeError('Failed to fetch') });
    const m = manager('server', f);
    const out = await m.scan(new Blob());
    expect(out.engine).toBe('device');
    expect(out.fallbacks[0]).toMatchObject({ engine: 'server' });
  });

  it('does not retry a photo the server refused (4xx) on the device', async () => {
    const f = fakes({ serverFails: new ClientImageError('bad image', 422, 'UNDECODABLE_IMAGE') });
    const m = manager('server', f);
    await expect(m.scan(new Blob())).rejects.toBeInstanceOf(ClientImageError);
    expect(f.device.detect).not.toHaveBeenCalled();
  });

  it('reports download progress in bytes of model + WASM, totals from the build when the server sends none', async () => {
    const f = fakes();
    const seen: string[] = [];
    const m = new EngineManager({
      caps,
      mode: 'auto',
      device: f.device,
      server: f.server,
      downloadSizes: { model: 10, wasm: 90 },
      progressIntervalMs: 0,
      onChange: (s) =>
        seen.push(`${s.device}:${s.download ? `${s.download.loaded}/${s.download.total}` : '-'}`),
    });
    await m.startDevice();
    expect(seen).toContain('loading:5/100');
    expect(seen).toContain('loading:35/100');
    expect(seen.at(-1)).toBe('ready:35/100');
  });

  it('an aborted scan rejects with the abort and tries no other engine', async () => {
    const f = fakes();
    const m = manager('auto', f);
    await m.startDevice();
    const controller = new AbortController();
    f.device.detect = vi.fn(async (_img: Blob, o?: { signal?: AbortSignal }) => {
      controller.abort(new DOMException('replaced', 'AbortError'));
      o?.signal?.throwIfAborted();
      return result(1);
    });
    await expect(m.scan(new Blob(), { signal: controller.signal, scanId: 3 })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(f.server.detect).not.toHaveBeenCalled();
  });

  it('starts the device once even when asked concurrently', async () => {
    const f = fakes();
    const m = manager('auto', f);
    await Promise.all([m.startDevice(), m.startDevice(), m.scan(new Blob())]);
    expect(f.device.start).toHaveBeenCalledTimes(1);
  });

  it('never starts an unsupported device and uses the server', async () => {
    const f = fakes();
    const m = new EngineManager({
      caps: { ...caps, wasmSimd: false },
      mode: 'device',
      device: f.device,
      server: f.server,
    });
    m.startInBackground();
    expect((await m.scan(new Blob())).engine).toBe('server');
    expect(f.device.start).not.toHaveBeenCalled();
  });
});
