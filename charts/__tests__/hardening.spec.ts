import { describe, expect, it } from 'vitest';
import { one, render } from './support/render.js';

// Issue 9 in the chart: keys required, no development mode, a trusted-proxy hop instead of "trust
// everything", preStop and drain before the listener closes, memory from the documented worst case.

const container = (args: string[], bare = false) =>
  one(
    render(args, 'rel', bare).filter((m) => m.metadata.labels?.['app.kubernetes.io/name'] === 'shelfwatch'),
    'Deployment',
  ).spec.template.spec.containers[0];
const configMap = (args: string[]) =>
  one(render([...args, '--show-only', 'templates/configmap.yaml']), 'ConfigMap').data!;

/** docs/SECURITY.md's worst case of one pod, MiB, +20 %, rounded up to 64 MiB (as the chart computes it). */
function expectedMemoryMiB(o: {
  workers: number;
  queue: number;
  bodyBytes: number;
  pixels: number;
  pglite: boolean;
  /** ASYNC_UPLOAD_SLOTS (default 32) */
  uploads?: number;
  /** audit jobs the pod runs itself (default WORKERS; 0 with a worker Deployment) */
  jobs?: number;
}) {
  const worst =
    160 +
    40 * o.workers +
    (o.pglite ? 750 : 0) +
    (o.workers + o.queue + (o.uploads ?? 32) + (o.jobs ?? o.workers)) * Math.ceil(o.bodyBytes / 2 ** 20) +
    o.workers * Math.floor((24 * o.pixels) / 2 ** 20);
  return Math.floor((Math.floor((worst * 120) / 100) + 63) / 64) * 64;
}

describe('API keys and production mode', () => {
  it('refuses to render without API keys, naming what to set', () => {
    expect(() => render([], 'rel', true)).toThrow(
      /API_KEYS is required: set secret\.apiKeys .* or secret\.existingSecret/,
    );
    expect(() => render(['--set', 'secret.existingSecret=prod-keys'], 'rel', true)).not.toThrow();
  });

  it('reads API_KEYS from the Secret without `optional`, so a Secret lacking it stops the pod', () => {
    const env = container(['--set', 'secret.existingSecret=prod-keys']).env;
    expect(env.find((e: { name: string }) => e.name === 'API_KEYS')).toEqual({
      name: 'API_KEYS',
      valueFrom: { secretKeyRef: { name: 'prod-keys', key: 'API_KEYS' } },
    });
  });

  it('always runs NODE_ENV=production and refuses DEV_MODE or secrets in extraEnv', () => {
    expect(configMap([]).NODE_ENV).toBe('production');
    expect(configMap([]).DEV_MODE).toBeUndefined();
    for (const name of ['DEV_MODE', 'NODE_ENV', 'API_KEYS', 'TRUST_PROXY']) {
      expect(() => render(['--set-string', `config.extraEnv.${name}=x`]), name).toThrow(
        new RegExp(`config.extraEnv must not set ${name}`),
      );
    }
  });
});

describe('client addresses', () => {
  it('trusts one proxy hop behind its Ingress, none without it', () => {
    expect(configMap([]).TRUST_PROXY).toBe('false');
    expect(configMap(['--set', 'ingress.enabled=true']).TRUST_PROXY).toBe('1');
    expect(configMap(['--set', 'config.trustProxy=2']).TRUST_PROXY).toBe('2');
    expect(configMap(['--set-string', 'config.trustProxy=10.0.0.0/8\\,192.168.0.0/16']).TRUST_PROXY).toBe(
      '10.0.0.0/8,192.168.0.0/16',
    );
  });

  it('refuses to trust every peer', () => {
    expect(() => render(['--set', 'config.trustProxy=true'])).toThrow();
    expect(() => render(['--set-string', 'config.trustProxy=true'])).toThrow(/trustProxy/);
  });

  it('passes the per-key and failed-auth limits through', () => {
    const data = configMap(['--set', 'config.keyRateLimitPerMinute=300,config.authFailuresPerMinute=20']);
    expect(data).toMatchObject({ KEY_RATE_LIMIT_PER_MINUTE: '300', AUTH_FAILURES_PER_MINUTE: '20' });
  });
});

describe('termination: preStop, drain, then close', () => {
  it('sleeps in preStop, drains, and leaves the rest of the grace period to in-flight requests', () => {
    const c = container([
      '--set',
      'terminationGracePeriodSeconds=60,lifecycle.preStopSleepSeconds=10,config.drainDelayMs=8000',
    ]);
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    const data = configMap([
      '--set',
      'terminationGracePeriodSeconds=60,lifecycle.preStopSleepSeconds=10,config.drainDelayMs=8000',
    ]);
    expect(data.SHUTDOWN_DRAIN_DELAY_MS).toBe('8000');
    expect(data.SHUTDOWN_TIMEOUT_MS).toBe(String((60 - 10 - 8 - 5) * 1000));
  });

  it('no preStop hook when its sleep is 0', () => {
    expect(container(['--set', 'lifecycle.preStopSleepSeconds=0']).lifecycle).toBeUndefined();
  });

  it('refuses a grace period too short for preStop + drain + 5 s of requests', () => {
    expect(() => render(['--set', 'terminationGracePeriodSeconds=14'])).toThrow(/leaves under 5 s/);
    expect(() => render(['--set', 'terminationGracePeriodSeconds=20'])).not.toThrow();
  });
});

describe('memory from the documented worst case', () => {
  it('defaults (PGlite, 2 workers, queue 16, 32 upload slots, 2 jobs, 16 MiB bodies, 16.7 MP): 3136 MiB', () => {
    const c = container([]);
    const expected = expectedMemoryMiB({
      workers: 2,
      queue: 16,
      bodyBytes: 16 * 2 ** 20,
      pixels: 16_777_216,
      pglite: true,
    });
    expect(expected).toBe(3136);
    expect(c.resources.limits.memory).toBe(`${expected}Mi`);
    expect(c.resources.requests.memory).toBe(`${expected}Mi`);
    expect(c.resources.limits.cpu).toBe('2');
  });

  it('follows the settings: PostgreSQL, more workers, smaller bodies and images', () => {
    const args = [
      '--set',
      'secret.databaseUrl=postgres://db/shelfwatch,config.workers=4,config.queueSize=8,config.maxBodyBytes=8388608,config.maxPixels=12000000',
    ];
    const expected = expectedMemoryMiB({
      workers: 4,
      queue: 8,
      bodyBytes: 8_388_608,
      pixels: 12_000_000,
      pglite: false,
    });
    expect(container(args).resources.limits.memory).toBe(`${expected}Mi`);
    expect(container(['--set', 'secret.databaseUrl=postgres://db/x']).resources.limits.memory).toBe('2240Mi');
    // separate workers: the API pods hold no job photos; fewer upload slots, less memory
    expect(
      container(['--set', 'secret.databaseUrl=postgres://db/x,worker.enabled=true,config.asyncUploadSlots=8'])
        .resources.limits.memory,
    ).toBe(
      `${expectedMemoryMiB({ workers: 2, queue: 16, bodyBytes: 16 * 2 ** 20, pixels: 16_777_216, pglite: false, uploads: 8, jobs: 0 })}Mi`,
    );
    // a queue of 0 counts as 0, not as the default
    expect(
      container(['--set', 'secret.databaseUrl=postgres://db/x,config.queueSize=0']).resources.limits.memory,
    ).toBe(
      `${expectedMemoryMiB({ workers: 2, queue: 0, bodyBytes: 16 * 2 ** 20, pixels: 16_777_216, pglite: false })}Mi`,
    );
  });

  it('an explicit memory request or limit wins', () => {
    const c = container(['--set', 'resources.limits.memory=3Gi']);
    expect(c.resources.limits.memory).toBe('3Gi');
    expect(c.resources.requests.memory).toBe('3Gi');
    const both = container(['--set', 'resources.limits.memory=3Gi,resources.requests.memory=2Gi']);
    expect(both.resources.requests.memory).toBe('2Gi');
  });
});
