/**
 * Documented defaults equal the code (docs/CONVENTIONS.md 10). Every expected value is read at test
 * time from the code (`@shelfwatch/shared` defaults, the server's env schema) or from the manifests
 * (`models/manifest.json`, the chart's Chart.yaml), never written here, so a changed default or a new
 * model version fails this test until the documents say the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as shared from '@shelfwatch/shared';
import { parseModelManifest } from '@shelfwatch/shared';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { APP_ROOT, EnvSchema } from '../src/config.js';

const read = (path: string) => readFileSync(join(APP_ROOT, path), 'utf8');

/** The cells of every row of the markdown table whose header row starts with `firstHeader`. */
function tableRows(markdown: string, firstHeader: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(`| ${firstHeader} |`));
  if (start < 0) throw new Error(`no table with first column "${firstHeader}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(
      line
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** The first `code span` of a cell. */
const code = (cell: string | undefined) => /`([^`]*)`/.exec(cell ?? '')?.[1];
/** A documented number: `16,777,216`, `0.40`, `10 000`. */
const num = (text: string) => Number(text.replace(/[, ]/g, ''));

const manifest = parseModelManifest(JSON.parse(read('models/manifest.json')), 'models/manifest.json');
const envProperties = EnvSchema.properties as Record<string, { default?: unknown }>;

describe('documented defaults equal the code', () => {
  it('docs/API.md: the threshold defaults and the maxDetections range are those of shared/src/defaults.ts', () => {
    const rows = new Map(tableRows(read('docs/API.md'), 'parameter').map((r) => [code(r[0]), r]));
    expect([...rows.keys()].sort()).toEqual(['conf', 'iou', 'maxDetections']);
    expect(num(code(rows.get('conf')?.[1])!)).toBe(shared.DEFAULT_CONF);
    expect(num(code(rows.get('iou')?.[1])!)).toBe(shared.DEFAULT_IOU);
    expect(num(code(rows.get('maxDetections')?.[1])!)).toBe(shared.DEFAULT_MAX_DETECTIONS);
    expect(num(code(rows.get('maxDetections')?.[2])!)).toBe(shared.MAX_DETECTIONS_LIMIT);
  });

  it('shared/README.md: every constant of the defaults.ts row has the exported value', () => {
    const row = tableRows(read('shared/README.md'), 'module').find((r) => r[0] === '`defaults.ts`');
    const pairs = [...(row?.[1] ?? '').matchAll(/`([A-Z_]+)` ([\d.,]+)/g)];
    expect(pairs.length).toBeGreaterThanOrEqual(8);
    const exported = shared as unknown as Record<string, unknown>;
    for (const [, name, value] of pairs) expect(num(value!), name).toBe(exported[name!]);
  });

  it('server/README.md: every variable of the env schema is documented, with the schema default', () => {
    const rows = tableRows(read('server/README.md'), 'variable');
    const documented = new Map<string, string>();
    for (const [names = '', def = ''] of rows) {
      for (const m of names.matchAll(/`([A-Z0-9_]+)`/g)) documented.set(m[1]!, def);
    }
    for (const [name, prop] of Object.entries(envProperties)) {
      expect(documented.has(name), `${name} is missing from the settings table`).toBe(true);
      // An empty schema default means "computed" (a path under the repo root, the manifest's file):
      // the table says what it is computed from, in words.
      if (prop.default === '' || prop.default === undefined || name.startsWith('S3_')) continue;
      const cell = code(documented.get(name));
      expect(cell, `${name}: the default cell has no value`).toBeDefined();
      expect(cell, name).toBe(String(prop.default));
    }
  });

  it('docs/SECURITY.md: every limit set by a variable states the schema default, in its unit', () => {
    const rows = tableRows(read('docs/SECURITY.md'), 'limit');
    const units: Record<string, number> = { MiB: 1024 * 1024, KiB: 1024, s: 1, ms: 0.001, days: 1 };
    let checked = 0;
    for (const [limit = '', value = '', where = ''] of rows) {
      const variable = code(where);
      const prop = variable === undefined ? undefined : envProperties[variable];
      if (!variable || typeof prop?.default !== 'number') continue;
      // The first number of the cell is the variable's value (`drain 5 s (chart 5 s, ...)`).
      const m = /(\d[\d,.]*)(?: (MiB|KiB|s|ms|days)\b)?/.exec(value);
      expect(m, `${limit}: "${value}" states no number`).not.toBeNull();
      const stated = num(m![1]!) * (m![2] ? units[m![2]]! : 1);
      const inUnit = variable.endsWith('_MS') ? prop.default / 1000 : prop.default;
      expect(stated, `${limit} (${variable})`).toBeCloseTo(inUnit, 9);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});

describe('documented versions equal the manifests', () => {
  it("the chart's appVersion is the shipped model's version (the image tag)", () => {
    const chart = parse(read('charts/shelfwatch/Chart.yaml')) as { appVersion: unknown };
    expect(chart.appVersion).toBe(manifest.version);
  });

  it("README.md's table of measurements names the shipped model and version", () => {
    const row = tableRows(read('README.md'), 'what').find((r) => r[0]?.startsWith('shipped detector'));
    expect(row?.[0]).toMatch(
      new RegExp(
        `^shipped detector \`${manifest.name}\` ${manifest.version.replace(/\./g, '\\.')}(?![\\d.])`,
      ),
    );
  });
});
