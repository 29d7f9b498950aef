import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHART_DIR } from './support/helm.js';
import { dashboardExpressions } from './support/promql.js';

// No Grafana here: the JSON model is checked for what Grafana would trip over, and its queries run
// against a real Prometheus in live-metrics.spec.ts.

type GridPos = { x: number; y: number; w: number; h: number };
type Panel = {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: { uid: string };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
};
const dashboard = JSON.parse(readFileSync(join(CHART_DIR, 'dashboards/shelfwatch.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
};

describe('Grafana dashboard', () => {
  it('has a stable uid, unique panel ids and a Prometheus data source variable', () => {
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
  });

  it('lays panels on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${p.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      }
    }
  });

  it('queries through the data source variable and only defined variables', () => {
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe(`\${datasource}`);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      expect(refIds.length, p.title).toBeGreaterThan(0);
    }
    for (const { where, expr } of dashboardExpressions()) {
      for (const [, name] of expr.matchAll(/\$(\w+)/g)) {
        if (name!.startsWith('__')) continue; // Grafana built-ins such as $__rate_interval
        expect(defined.has(name!), `${where} uses $${name}`).toBe(true);
      }
    }
  });

  it('covers the golden signals, detections, the model version and the audit queue', () => {
    const all = dashboardExpressions()
      .map((d) => d.expr)
      .join('\n');
    for (const q of [0.5, 0.95, 0.99])
      expect(all).toContain(
        `histogram_quantile(${q}, sum by (le) (rate(http_request_duration_seconds_bucket`,
      );
    for (const metric of [
      'http_request_duration_seconds_count', // traffic, error ratio
      'shelfwatch_request_errors_total', // errors by code
      'shelfwatch_queue_depth',
      'shelfwatch_workers_busy',
      'process_cpu_seconds_total', // saturation
      'shelfwatch_detections_per_image_bucket',
      'shelfwatch_model_info',
      // asynchronous audits (issue 13): depth, age, throughput, duration, retries, dead letters
      'shelfwatch_audit_jobs{',
      'shelfwatch_audit_job_oldest_age_seconds',
      'shelfwatch_audit_jobs_accepted_total',
      'shelfwatch_audit_jobs_finished_total',
      'shelfwatch_audit_job_duration_seconds_bucket',
      'shelfwatch_audit_job_retries_total',
      'shelfwatch_audit_jobs_dead_lettered_total',
    ]) {
      expect(all).toContain(metric);
    }
  });
});
