import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHART_DIR, helm } from './helm.js';

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are checked field by field
  spec?: any;
  data?: Record<string, string>;
};

/** The one value the chart cannot default (API keys), as ci/default-values.yaml gives it. */
export const REQUIRED_VALUES = ['-f', join(CHART_DIR, 'ci/default-values.yaml')];

/**
 * `helm template` with a real Helm 3.17 binary over the required values, parsed into objects
 * (empty documents dropped).
 * @param bare leave out REQUIRED_VALUES (to test what the chart refuses)
 */
export function render(args: string[] = [], release = 'rel', bare = false): Manifest[] {
  const out = helm([
    'template',
    release,
    CHART_DIR,
    '--namespace',
    'shop',
    ...(bare ? [] : REQUIRED_VALUES),
    ...args,
  ]);
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw doc.errors[0];
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export const byKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);

export const one = (ms: Manifest[], kind: string) => {
  const found = byKind(ms, kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
