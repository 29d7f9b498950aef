import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR } from './helm.js';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'by',
  'without',
  'on',
  'ignoring',
]);

/**
 * Metric names referenced by a PromQL expression (Grafana variables allowed). A small lexer rather
 * than a parser: strings, label matchers, ranges and label lists are removed first, then every
 * identifier not followed by `(` (a function or aggregation) and not a keyword is a metric name.
 */
export function metricNames(expr: string): Set<string> {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const before = s[m.index - 1] ?? ' ';
    if (/[\w.$]/.test(before)) continue; // part of a number (1e3, 5m) or a $variable
    if (
      s
        .slice(m.index + m[0].length)
        .trimStart()
        .startsWith('(')
    )
      continue;
    if (KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return names;
}

export type Rule = { alert?: string; record?: string; expr: string; for?: string };

/** The alert rules, from their one source in the chart. */
export function ruleExpressions(): Rule[] {
  const file = parse(readFileSync(join(CHART_DIR, 'files/prometheus-rules.yaml'), 'utf8')) as {
    groups: { rules: Rule[] }[];
  };
  return file.groups.flatMap((g) => g.rules);
}

type Panel = { title?: string; targets?: { expr?: string }[]; panels?: Panel[] };
type Dashboard = { panels: Panel[]; templating: { list: { name: string; definition?: string }[] } };

/** Every PromQL query of the Grafana dashboard: panel targets and template-variable queries. */
export function dashboardExpressions(): { where: string; expr: string }[] {
  const dash = JSON.parse(readFileSync(join(CHART_DIR, 'dashboards/shelfwatch.json'), 'utf8')) as Dashboard;
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  for (const v of dash.templating.list) {
    const m = /^label_values\((.*),\s*\w+\)$/.exec(v.definition ?? '');
    if (m) out.push({ where: `variable $${v.name}`, expr: m[1]! });
  }
  return out;
}

/** Grafana variables replaced the way Grafana would with "All" selected. */
export function expandGrafanaVariables(expr: string, rateInterval = '1m'): string {
  return expr.replaceAll('$__rate_interval', rateInterval).replace(/\$(namespace|job)\b/g, '.*');
}
