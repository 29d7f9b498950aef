import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  poll,
  prerequisite,
  type RunningServer,
  Service,
  shelfPng,
  startServer,
} from '@shelfwatch/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_DIR, ROOT } from './support/helm.js';
import {
  dashboardExpressions,
  expandGrafanaVariables,
  metricNames,
  ruleExpressions,
} from './support/promql.js';

// A real Prometheus (Debian's `prometheus` package) scrapes the real server (server/dist, built by
// the root test command before the tests run) with the chart's alert rules loaded.

/** Series the rules read from other exporters, not from ShelfWatch's /metrics. */
const EXTERNAL_METRICS: Record<string, string> = {
  kube_pod_status_ready: 'kube-state-metrics (pod readiness), joined with shelfwatch_model_info',
};

type PromResponse<T> = { status: 'success' | 'error'; data: T; error?: string; errorType?: string };
type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };

const manifest = JSON.parse(readFileSync(join(ROOT, 'models/manifest.json'), 'utf8')) as {
  name: string;
  version: string;
};

const PROMETHEUS = '/usr/bin/prometheus';
const hasPrometheus = prerequisite(
  "Debian's prometheus (/usr/bin/prometheus and promtool)",
  existsSync(PROMETHEUS) && spawnSync('promtool', ['--version']).status === 0,
  'apt-get install -y prometheus (scripts/ensure-system-deps.sh)',
);

describe.runIf(hasPrometheus)('a real Prometheus scraping a running server', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shelfwatch-live-'));
  let server: RunningServer;
  let prometheus: Service;
  let api: string;
  let prom: string;

  const query = async (expr: string): Promise<PromResponse<Vector>> => {
    const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await res.json()) as PromResponse<Vector>;
  };
  /** Polls an instant query until it returns at least one series. */
  const series = (expr: string) =>
    poll(`Prometheus series for ${expr}`, async () => {
      prometheus.assertRunning();
      const r = await query(expr);
      return r.status === 'success' && r.data.result.length > 0 ? r.data.result : undefined;
    });

  beforeAll(async () => {
    const promPort = await freePort();
    prom = `http://127.0.0.1:${promPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      WORKERS: '1',
      INTRA_OP_THREADS: '1',
      DATA_DIR: join(tmp, 'data'),
      LOG_LEVEL: 'warn',
      // The server refuses to start without keys outside development mode; one hashed key, as a Secret gives it.
      API_KEYS: JSON.stringify([{ name: 'scrape-test', sha256: '0'.repeat(64), stores: ['store-1'] }]),
      SHUTDOWN_DRAIN_DELAY_MS: '0',
    };
    delete env.DATABASE_URL; // embedded PGlite in DATA_DIR
    delete env.DEV_MODE;
    server = await startServer({ env });
    api = server.baseURL;

    writeFileSync(
      join(tmp, 'prometheus.yml'),
      JSON.stringify({
        global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
        rule_files: [join(CHART_DIR, 'files/prometheus-rules.yaml')],
        scrape_configs: [
          { job_name: 'shelfwatch', static_configs: [{ targets: [`127.0.0.1:${server.port}`] }] },
        ],
      }),
    );
    prometheus = new Service(
      'prometheus',
      PROMETHEUS,
      [
        `--config.file=${join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(tmp, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { cwd: tmp },
    );
    await poll('Prometheus /-/ready', async () => (await fetch(`${prom}/-/ready`)).ok || undefined, {
      check: () => prometheus.assertRunning(),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([server?.stop(), prometheus?.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the server answers /predict (and a 415 for a wrong type)', async () => {
    const image = shelfPng();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${api}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: image,
      });
      expect(res.status, await res.clone().text()).toBe(200);
      const body = (await res.json()) as { count: number; model: { version: string } };
      expect(typeof body.count).toBe('number');
      expect(body.model.version).toBe(manifest.version);
    }
    const bad = await fetch(`${api}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'no',
    });
    expect(bad.status).toBe(415);
  });

  it('Prometheus returns the request-duration histogram and the model info', async () => {
    const buckets = await series(
      'http_request_duration_seconds_bucket{job="shelfwatch", route="/predict", method="POST"}',
    );
    expect(buckets.some((s) => s.metric.le === '+Inf' && s.metric.status === '200')).toBe(true);
    // the promtool unit tests feed the rules the server's real bucket boundaries
    const unitTest = readFileSync(join(ROOT, 'deploy/prometheus/rules.test.yaml'), 'utf8');
    const testBuckets = new Set([...unitTest.matchAll(/method="POST".*?le="([^"]+)"/g)].map((m) => m[1]));
    const liveBuckets = new Set(buckets.map((s) => s.metric.le));
    expect([...liveBuckets].sort()).toEqual([...testBuckets].sort());
    // all three /predict calls were counted (the +Inf bucket is the request count)
    const count = await series(
      'sum(http_request_duration_seconds_count{job="shelfwatch", route="/predict", status="200"}) >= 3',
    );
    expect(Number(count[0]!.value[1])).toBeGreaterThanOrEqual(3);
    const info = await series('shelfwatch_model_info{job="shelfwatch"}');
    expect(info).toHaveLength(1);
    expect(info[0]!.metric).toMatchObject({ name: manifest.name, version: manifest.version });
    expect(info[0]!.value[1]).toBe('1');
  });

  it('Prometheus loaded the chart rules and evaluates them without errors', async () => {
    const rules = await poll('rule evaluation', async () => {
      const res = (await (await fetch(`${prom}/api/v1/rules`)).json()) as PromResponse<{
        groups: { rules: { name: string; health: string; lastError?: string }[] }[];
      }>;
      const all = res.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    expect(rules.map((r) => r.name).sort()).toEqual(
      ruleExpressions()
        .map((r) => r.alert)
        .sort(),
    );
    for (const r of rules) expect(r.health, `${r.name}: ${r.lastError}`).toBe('ok');
    // real traffic with no 5xx: the error-ratio alert is quiet
    const firing = (await query('ALERTS{alertname="ShelfWatchHighErrorRate"}')).data.result;
    expect(firing).toEqual([]);
  });

  it('every dashboard query is valid PromQL for this Prometheus', async () => {
    for (const { where, expr } of dashboardExpressions()) {
      const r = await query(expandGrafanaVariables(expr));
      expect(r.status, `${where}: ${expr}\n${r.error}`).toBe('success');
    }
  });

  it('every metric name in the dashboard and the rules exists in a live /metrics scrape', async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    const exported = new Set<string>();
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
      exported.add(name!);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(name! + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) exported.add(name! + s);
      if (type === 'counter' && !name!.endsWith('_total')) exported.add(`${name}_total`);
    }
    for (const [, name] of text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)) exported.add(name!);

    const used = new Map<string, string>();
    for (const r of ruleExpressions()) for (const n of metricNames(r.expr)) used.set(n, `rule ${r.alert}`);
    for (const d of dashboardExpressions()) for (const n of metricNames(d.expr)) used.set(n, d.where);
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter(([n]) => !exported.has(n) && !(n in EXTERNAL_METRICS));
    expect(missing, `used but not exported by the server:\n${text.slice(0, 400)}`).toEqual([]);
  });

  it('promtool check metrics finds no naming problems in the ShelfWatch metrics', async () => {
    const text = await (await fetch(`${api}/metrics`)).text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // prom-client's default Node.js gauges are named `nodejs_active_*_total`: not ours to rename
    const problems = `${lint.stdout}${lint.stderr}`
      .split('\n')
      .filter((line) => line.trim() && !/^(nodejs|process)_/.test(line));
    expect(problems).toEqual([]);
  });
});
