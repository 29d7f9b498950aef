import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { prerequisite } from '@shelfwatch/test-utils';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, ROOT } from './support/helm.js';
import { metricNames, ruleExpressions } from './support/promql.js';

// Debian's `prometheus` package (scripts/ensure-system-deps.sh installs it) provides promtool.
const promtool = (...args: string[]) =>
  execFileSync('promtool', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const hasPromtool = prerequisite(
  'promtool',
  spawnSync('promtool', ['--version']).status === 0,
  'apt-get install -y prometheus (scripts/ensure-system-deps.sh)',
);

describe('alert rules (promtool)', () => {
  it.runIf(hasPromtool)('promtool check rules accepts the rule file', () => {
    expect(promtool('check', 'rules', join(CHART_DIR, 'files/prometheus-rules.yaml'))).toContain(
      'SUCCESS: 8 rules found',
    );
  });

  it.runIf(hasPromtool)(
    'promtool test rules: 1.5 % errors, p99 700 ms, a 12-minute-old job and dead letters fire; healthy levels do not',
    () => {
      expect(promtool('test', 'rules', 'deploy/prometheus/rules.test.yaml')).toContain('SUCCESS');
    },
  );

  it('covers the design thresholds', () => {
    const rules = Object.fromEntries(ruleExpressions().map((r) => [r.alert, r]));
    expect(rules.ShelfWatchHighErrorRate?.expr).toMatch(/> 0\.01\s*$/);
    expect(rules.ShelfWatchHighErrorRate?.for).toBe('5m');
    expect(rules.ShelfWatchHighLatencyP99?.expr).toMatch(/histogram_quantile\(0\.99,[\s\S]*\) > 0\.5\s*$/);
    expect(rules.ShelfWatchHighLatencyP99?.for).toBe('10m');
    expect(Object.keys(rules)).toEqual(
      expect.arrayContaining([
        'ShelfWatchQueueRejecting',
        'ShelfWatchWorkersSaturated',
        'ShelfWatchPodNotReady',
        'ShelfWatchAuditJobsStale',
        'ShelfWatchAuditJobsDeadLettered',
      ]),
    );
    // the job-age alert: the oldest queued job over 5 minutes, for 5 minutes
    expect(rules.ShelfWatchAuditJobsStale?.expr).toMatch(
      /shelfwatch_audit_job_oldest_age_seconds\) > 300\s*$/,
    );
    expect(rules.ShelfWatchAuditJobsStale?.for).toBe('5m');
  });

  it('extracts metric names from PromQL', () => {
    expect([
      ...metricNames('sum by (le) (rate(a_bucket{x="y{z}"}[5m])) / on (p) b + 1e3 offset 5m > bool 0.5'),
    ]).toEqual(['a_bucket', 'b']);
    expect([...metricNames('count by (v) (group by (v, j) (m{ns=~"$namespace"})) and x:rec')]).toEqual([
      'm',
      'x:rec',
    ]);
  });
});
