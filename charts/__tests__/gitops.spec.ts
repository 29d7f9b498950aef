import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseShell } from 'shell-quote';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CHART_DIR, helm, ROOT } from './support/helm.js';
import { validateKubernetesObject } from './support/kube-schema.js';

// GitHub Actions and ArgoCD cannot run here: the workflow and Application files are parsed and
// checked, and the pieces with logic of their own (the chart bump, the ArgoCD values) are executed.

// biome-ignore lint/suspicious/noExplicitAny: workflow files are checked field by field
type Yaml = any;
const readYaml = (p: string): Yaml => parse(readFileSync(join(ROOT, p), 'utf8'));
const steps = (wf: Yaml, job: string): Yaml[] => wf.jobs[job].steps;

/**
 * The commands of a `run:` script, each as its argv (shell-quote), split at `&&`, `||`, `;`, `|` and
 * line ends; `su ... -c "<script>"` is opened too. GitHub expressions (`${{ x }}`) stay as written.
 */
function shellCommands(script: string): string[][] {
  const expressions: string[] = [];
  const marked = script.replace(/\$\{\{.*?\}\}/g, (e) => `GHEXPR${expressions.push(e) - 1}X`);
  const unmark = (t: string) => t.replace(/GHEXPR(\d+)X/g, (_, n) => expressions[Number(n)]!);
  const out: string[][] = [];
  for (const line of marked.split('\n')) {
    let current: string[] = [];
    for (const token of parseShell(line, (name) => `$${name}`)) {
      if (typeof token === 'string') current.push(unmark(token));
      else if ('op' in token && ['&&', '||', ';', '|'].includes(token.op)) {
        out.push(current);
        current = [];
      }
    }
    out.push(current);
  }
  const commands = out.filter((c) => c.length > 0);
  return commands.flatMap((c) =>
    c[0] === 'su' && c.includes('-c') ? [c, ...shellCommands(c.at(-1)!)] : [c],
  );
}
const runCommands = (stepList: Yaml[]) => stepList.flatMap((s: Yaml) => (s.run ? shellCommands(s.run) : []));
/** Every string anywhere in a parsed document. */
const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
const includesCommand = (commands: string[][], argv: string[]) =>
  commands.some((c) => c.length === argv.length && c.every((t, i) => t === argv[i]));

describe('.github/workflows/ci.yml', () => {
  const ci = readYaml('.github/workflows/ci.yml');

  it('runs the README test command, under CI=true, after enabling pnpm with corepack', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quickStart = shellCommands(/```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '');
    expect(quickStart).toContainEqual(['npx', '--yes', 'pnpm@9', 'test']);
    const stepCommands = steps(ci, 'test').map((s: Yaml) => (s.run ? shellCommands(s.run) : []));
    const corepack = stepCommands.findIndex((c: string[][]) => includesCommand(c, ['corepack', 'enable']));
    const test = stepCommands.findIndex((c: string[][]) => includesCommand(c, ['pnpm', 'test']));
    expect(corepack).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(corepack);
    // the tests' prerequisite rule (a missing tool fails instead of skipping) keys on CI
    expect(ci.jobs.test.env.CI).toBe('true');
    expect(ci.on).toHaveProperty('pull_request');
    expect(ci.permissions).toEqual({ contents: 'read' });
  });

  it('gives the tests what they expect: Debian, root, PostgreSQL on 127.0.0.1', () => {
    expect(ci.jobs.test.container.image).toMatch(/^node:20-bookworm/);
    const commands = runCommands(steps(ci, 'test'));
    expect(commands).toContainEqual(['createdb', 'test']);
    // prometheus, chromium and python3-torch come from the test command's own bootstrap
    expect(readFileSync(join(ROOT, 'scripts/ensure-system-deps.sh'), 'utf8')).toMatch(
      /missing\+=\(prometheus\)/,
    );
  });
});

describe('.github/workflows/release.yml', () => {
  const release = readYaml('.github/workflows/release.yml');
  const image = steps(release, 'image');
  const uses = (name: string) => image.find((s: Yaml) => String(s.uses).startsWith(name));
  const manifestVersion = (
    JSON.parse(readFileSync(join(ROOT, 'models/manifest.json'), 'utf8')) as { version: string }
  ).version;

  it('builds on a version tag and refuses a tag that is not the model version', () => {
    expect(release.on.push.tags).toEqual(['v*']);
    // the step's own script, run with the variables GitHub gives it
    const check = image.find((s: Yaml) => s.id === 'version').run as string;
    const tmp = mkdtempSync(join(tmpdir(), 'shelfwatch-release-'));
    try {
      const run = (tag: string) =>
        spawnSync('bash', ['-e', '-c', check], {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, GITHUB_REF_NAME: tag, GITHUB_OUTPUT: join(tmp, `out-${tag}`) },
        });
      const ok = run(`v${manifestVersion}`);
      expect(ok.status, ok.stderr).toBe(0);
      expect(readFileSync(join(tmp, `out-v${manifestVersion}`), 'utf8')).toBe(`version=${manifestVersion}\n`);
      const bad = run('v999.0.0');
      expect(bad.status).toBe(1);
      expect(bad.stdout).toContain(`does not match models/manifest.json version ${manifestVersion}`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('pushes to ECR with OIDC credentials, tagged with the model version', () => {
    expect(release.jobs.image.permissions['id-token']).toBe('write');
    expect(release.permissions).toEqual({ contents: 'read' });
    const aws = uses('aws-actions/configure-aws-credentials@');
    expect(aws.with['role-to-assume']).toBe(`\${{ vars.AWS_ROLE_ARN }}`);
    expect(aws.with).not.toHaveProperty('aws-access-key-id');
    expect(uses('aws-actions/amazon-ecr-login@')).toBeDefined();
    const build = uses('docker/build-push-action@');
    expect(build.with.push).toBe(true);
    expect(build.with.tags).toBe(`\${{ steps.ref.outputs.image }}:\${{ steps.version.outputs.version }}`);
    const buildArgs = (build.with['build-args'] as string).split('\n').filter(Boolean);
    expect(buildArgs).toContain(`MODEL_VERSION=\${{ steps.version.outputs.version }}`);
  });

  it('then opens a pull request that bumps the chart', () => {
    const bump = release.jobs['bump-chart'];
    expect(bump.needs).toBe('image');
    expect(bump.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(runCommands(bump.steps)).toContainEqual([
      'deploy/release/bump-image-tag.sh',
      `\${{ needs.image.outputs.version }}`,
      'charts/shelfwatch',
    ]);
    const pr = bump.steps.find((s: Yaml) => String(s.uses).startsWith('peter-evans/create-pull-request@'));
    expect(pr.with['add-paths']).toContain('charts/shelfwatch/values.yaml');
  });

  it('every `needs.image.outputs.*` and `steps.*.outputs.*` reference resolves', () => {
    const text = strings(release).join('\n');
    const needs = [...text.matchAll(/needs\.image\.outputs\.(\w+)/g)].map((m) => m[1]!);
    expect(needs.length).toBeGreaterThan(0);
    for (const out of needs) expect(release.jobs.image.outputs, out).toHaveProperty(out);
    const ids = new Set(image.map((s: Yaml) => s.id).filter(Boolean));
    const referenced = [...text.matchAll(/steps\.([\w-]+)\.outputs/g)].map((m) => m[1]!);
    expect(referenced.length).toBeGreaterThan(0);
    for (const id of referenced) expect(ids.has(id), id).toBe(true);
  });
});

describe('deploy/release/bump-image-tag.sh', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shelfwatch-bump-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('sets image.tag and appVersion, keeps every comment, and the chart still lints', () => {
    const chart = join(tmp, 'shelfwatch');
    cpSync(CHART_DIR, chart, { recursive: true });
    const before = readFileSync(join(chart, 'values.yaml'), 'utf8');
    execFileSync('bash', [join(ROOT, 'deploy/release/bump-image-tag.sh'), '2.3.1', chart], { stdio: 'pipe' });
    const after = readFileSync(join(chart, 'values.yaml'), 'utf8');
    expect(parse(after).image.tag).toBe('2.3.1');
    expect(parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')).appVersion).toBe('2.3.1');
    // one line changed, nothing else (no other `tag:` key touched)
    const diff = before.split('\n').filter((line, i) => line !== after.split('\n')[i]);
    expect(diff).toEqual(['  tag: ""']);
    expect(helm(['lint', '--strict', chart])).toContain('0 chart(s) failed');
    expect(() =>
      execFileSync('bash', [join(ROOT, 'deploy/release/bump-image-tag.sh'), 'bad tag', chart], {
        stdio: 'pipe',
      }),
    ).toThrow();
  });
});

describe('deploy/argocd/application.yaml', () => {
  const app = readYaml('deploy/argocd/application.yaml');

  it('is a valid Application for the Argo CD CRD schema', async () => {
    await expect(validateKubernetesObject(app)).resolves.toBeUndefined();
  });

  it('syncs the chart automatically, with prune and self-heal', () => {
    expect(app.apiVersion).toBe('argoproj.io/v1alpha1');
    expect(app.kind).toBe('Application');
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.source.path).toBe('charts/shelfwatch');
    expect(app.spec.source.targetRevision).toBe('main');
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
  });

  it('its values render with Helm (schema-validated) into the objects production needs', () => {
    const valuesFile = join(mkdtempSync(join(tmpdir(), 'shelfwatch-argo-')), 'values.yaml');
    writeFileSync(valuesFile, JSON.stringify(app.spec.source.helm.valuesObject));
    const out = helm([
      'template',
      app.spec.source.helm.releaseName,
      CHART_DIR,
      '--namespace',
      app.spec.destination.namespace,
      '-f',
      valuesFile,
    ]);
    const kinds = parseAllDocuments(out)
      .map((d) => d.toJS())
      .filter(Boolean)
      .map((m: Yaml) => m.kind)
      .sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    rmSync(join(valuesFile, '..'), { recursive: true, force: true });
  });
});
