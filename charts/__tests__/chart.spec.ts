import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DIR, helm } from './support/helm.js';
import { validateKubernetesObject } from './support/kube-schema.js';
import { byKind, type Manifest, one, REQUIRED_VALUES as REQUIRED, render } from './support/render.js';

const CI_DIR = join(CHART_DIR, 'ci');
const ciValueFiles = readdirSync(CI_DIR).filter((f) => f.endsWith('-values.yaml'));
const readYaml = (path: string): unknown => parse(readFileSync(path, 'utf8'));
const chart = readYaml(join(CHART_DIR, 'Chart.yaml')) as {
  name: string;
  version: string;
  appVersion: string;
};

describe('values.schema.json', () => {
  const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8'));
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

  // Helm validates the merged values (chart defaults, then the user's file), so do the same.
  const defaults = readYaml(join(CHART_DIR, 'values.yaml')) as Values;
  const withDefaults = (override: Values) => mergeValues(defaults, override);

  it.each(['values.yaml', ...ciValueFiles.map((f) => `ci/${f}`)])('accepts %s', (file) => {
    const ok = validate(withDefaults((readYaml(join(CHART_DIR, file)) ?? {}) as Values));
    expect(validate.errors ?? [], file).toEqual([]);
    expect(ok).toBe(true);
  });

  it('rejects typos and wrong types', () => {
    expect(validate(withDefaults({}))).toBe(true);
    expect(validate(withDefaults({ autoscaling: { targetCPUUtilizationPercentage: '60' } }))).toBe(false);
    expect(validate(withDefaults({ replicaCout: 2 }))).toBe(false);
    expect(validate(withDefaults({ image: { tag: 'v1 beta' } }))).toBe(false);
    expect(validate(withDefaults({ secret: { databaseUrl: 'mysql://x' } }))).toBe(false);
    expect(validate(withDefaults({ writableVolumes: [{ name: 'tmp', mountPath: '/tmp' }] }))).toBe(false); // no `data`
  });

  it('documents every key of values.yaml with a comment and in the README', () => {
    const text = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');
    const values = parse(text) as Record<string, unknown>;
    const lines = text.split('\n');
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const path: string[] = [];
    let keys = 0;
    lines.forEach((line, i) => {
      const m = /^( *)([A-Za-z][\w.]*):/.exec(line);
      if (!m) return;
      const depth = m[1]!.length / 2;
      path.length = depth;
      path.push(m[2]!);
      const full = path.join('.');
      // keys inside an object value documented as a whole (e.g. podSecurityContext.runAsUser)
      if (isInsideDocumentedBlock(full)) return;
      // a group such as `image:` is documented through its keys
      const value = path.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], values);
      const isGroup =
        value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0;
      if (isGroup && !isInsideDocumentedBlock(`${full}.`)) return;
      keys++;
      const above = lines[i - 1]?.trim() ?? '';
      expect(above.startsWith('#'), `values.yaml: ${full} needs a comment`).toBe(true);
      expect(readme, `README.md: ${full} not documented`).toContain(`\`${full}\``);
    });
    expect(keys).toBeGreaterThan(50);
  });
});

type Values = Record<string, unknown>;
const isMap = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Helm's coalescing: maps merge key by key, lists and scalars replace, a user's null deletes a default. */
function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = isMap(value) && isMap(base[key]) ? mergeValues(base[key], value) : value;
  }
  return out;
}

/** Object values documented as a whole (their sub-keys are Kubernetes fields, not chart options). */
function isInsideDocumentedBlock(key: string): boolean {
  return /^(podSecurityContext|securityContext|resources|worker\.resources|livenessProbe|readinessProbe|startupProbe|grafanaDashboard\.labels|writableVolumes|ingress\.hosts)\./.test(
    key,
  );
}

describe('chart files', () => {
  it('parses every YAML and JSON file outside templates/', () => {
    const files = [
      'Chart.yaml',
      'values.yaml',
      'files/prometheus-rules.yaml',
      ...ciValueFiles.map((f) => `ci/${f}`),
    ];
    for (const f of files) expect(() => readYaml(join(CHART_DIR, f)), f).not.toThrow();
    for (const f of ['values.schema.json', 'dashboards/shelfwatch.json']) {
      expect(() => JSON.parse(readFileSync(join(CHART_DIR, f), 'utf8')), f).not.toThrow();
    }
  });

  it('templates name resources and label them only through the helpers', () => {
    const dir = join(CHART_DIR, 'templates');
    const templates = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(templates.length).toBeGreaterThanOrEqual(11);
    for (const f of templates) {
      const text = readFileSync(join(dir, f), 'utf8');
      // the audit-job workers' objects have their own name and labels (worker-*.yaml)
      const worker = f.startsWith('worker-') ? 'worker' : '';
      const fullname = worker ? 'workerFullname' : '(fullname|serviceAccountName)';
      expect(text, f).toMatch(new RegExp(`name: \\{\\{ include "shelfwatch\\.${fullname}" \\. \\}\\}`));
      expect(text, f).toContain(
        `{{- include "shelfwatch.${worker ? 'workerLabels' : 'labels'}" . | nindent 4 }}`,
      );
      expect(text, f).not.toMatch(/app\.kubernetes\.io\/\w+: (?!\{\{)/); // no hard-coded standard labels
    }
    const helpers = readFileSync(join(dir, '_helpers.tpl'), 'utf8');
    for (const name of ['name', 'fullname', 'chart', 'selectorLabels', 'labels', 'serviceAccountName']) {
      expect(helpers).toContain(`define "shelfwatch.${name}"`);
    }
    expect(helpers).toContain('trunc 63 | trimSuffix "-"');
  });

  it('passes helm lint --strict with every ci values file', () => {
    for (const f of ['', ...ciValueFiles]) {
      const out = helm(['lint', '--strict', CHART_DIR, ...(f ? ['-f', join(CI_DIR, f)] : [])]);
      expect(out, f).toContain('0 chart(s) failed');
    }
  });
});

describe('rendered manifests (helm template)', () => {
  const rendered = Object.fromEntries(
    ciValueFiles.map((f) => [f, render(['-f', join(CI_DIR, f)])] as const),
  ) as Record<string, Manifest[]>;
  const defaults = rendered['default-values.yaml']!;
  const full = rendered['full-values.yaml']!;

  it.each(ciValueFiles)('%s: every object carries the standard labels', (file) => {
    for (const m of rendered[file]!) {
      const labels = m.metadata.labels ?? {};
      const where = `${m.kind}/${m.metadata.name}`;
      // the audit-job workers carry their own name, so the API's selectors never pick them
      expect(['shelfwatch', 'shelfwatch-worker'], where).toContain(labels['app.kubernetes.io/name']);
      expect(labels['app.kubernetes.io/instance'], where).toBe('rel');
      expect(labels['app.kubernetes.io/managed-by'], where).toBe('Helm');
      expect(labels['helm.sh/chart'], where).toBe(`shelfwatch-${chart.version}`);
      expect(labels['app.kubernetes.io/version'], where).toBeTruthy();
      expect(m.metadata.name.length, where).toBeLessThanOrEqual(63);
    }
  });

  it.each(ciValueFiles)('%s: every object is valid for its Kubernetes / CRD schema', async (file) => {
    for (const m of rendered[file]!) {
      await expect(validateKubernetesObject(m), `${m.kind}/${m.metadata.name}`).resolves.toBeUndefined();
    }
  });

  it('the schema check catches a wrong type', async () => {
    const deploy = structuredClone(one(defaults, 'Deployment'));
    deploy.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    await expect(validateKubernetesObject(deploy)).rejects.toThrow(/containerPort must be integer/);
    const sm = structuredClone(one(full, 'ServiceMonitor'));
    sm.spec.endpoints[0].interval = 'every 15 seconds';
    await expect(validateKubernetesObject(sm)).rejects.toThrow(/interval must match pattern/);
  });

  it.each(ciValueFiles)('%s: selectors match the pod template, references resolve', (file) => {
    // The API's objects (worker.spec.ts checks the workers').
    const ms = rendered[file]!.filter((m) => m.metadata.labels?.['app.kubernetes.io/name'] === 'shelfwatch');
    const deploy = one(ms, 'Deployment');
    const selector = deploy.spec.selector.matchLabels;
    expect(selector).toEqual({ 'app.kubernetes.io/name': 'shelfwatch', 'app.kubernetes.io/instance': 'rel' });
    expect(deploy.spec.template.metadata.labels).toMatchObject(selector);
    expect(one(ms, 'Service').spec.selector).toEqual(selector);
    for (const pdb of byKind(ms, 'PodDisruptionBudget'))
      expect(pdb.spec.selector.matchLabels).toEqual(selector);
    for (const hpa of byKind(ms, 'HorizontalPodAutoscaler')) {
      expect(hpa.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: deploy.metadata.name,
      });
    }
    const pod = deploy.spec.template.spec;
    const [container] = pod.containers;
    const configMap = byKind(rendered[file]!, 'ConfigMap').find(
      (c) => c.metadata.name === container.envFrom[0].configMapRef.name,
    );
    expect(configMap, 'envFrom ConfigMap is rendered').toBeDefined();
    if (pod.serviceAccountName !== 'default') {
      expect(one(ms, 'ServiceAccount').metadata.name).toBe(pod.serviceAccountName);
    }
    // every mount has a volume, every writable volume is an emptyDir, DATA_DIR is one of them
    const volumes = new Map(pod.volumes.map((v: { name: string; emptyDir?: object }) => [v.name, v]));
    for (const mount of container.volumeMounts)
      expect(volumes.get(mount.name), mount.name).toHaveProperty('emptyDir');
    const dataDir = configMap!.data!.DATA_DIR;
    expect(container.volumeMounts.map((v: { mountPath: string }) => v.mountPath)).toContain(dataDir);
    expect(configMap!.data!.PORT).toBe(String(container.ports[0].containerPort));
  });

  it('deployment: probes, resources, hardened security context, spread', () => {
    const deploy = one(defaults, 'Deployment');
    const pod = deploy.spec.template.spec;
    const [c] = pod.containers;
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(c.livenessProbe.timeoutSeconds).toBe(3);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    // the readiness handler may spend 2 s on the database ping and 2 s on a worker probe
    expect(c.readinessProbe.timeoutSeconds).toBeGreaterThan(4);
    expect(c.startupProbe.httpGet.path).toBe('/health/live');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    // memory derived from the documented worst case (see the hardening tests below)
    expect(c.resources).toEqual({
      requests: { cpu: '2', memory: '3136Mi' },
      limits: { cpu: '2', memory: '3136Mi' },
    });
    expect(c.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(c.volumeMounts.map((v: { mountPath: string }) => v.mountPath).sort()).toEqual(['/data', '/tmp']);
    expect(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
    expect(pod.topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(
      deploy.spec.selector.matchLabels,
    );
    expect(deploy.spec.replicas, 'the HPA owns the replica count').toBeUndefined();
    expect(c.image).toBe(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shelfwatch:${chart.appVersion}`);
    expect(deploy.spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('HPA scales on 60 % CPU between the configured bounds', () => {
    const hpa = one(defaults, 'HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(hpa.spec.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
      },
    ]);
    expect(one(full, 'HorizontalPodAutoscaler').spec.metrics).toHaveLength(2);
  });

  it('settings: ConfigMap carries the server env names, secrets come from a Secret', () => {
    const cm = byKind(defaults, 'ConfigMap')[0]!;
    expect(cm.data).toEqual({
      DATA_DIR: '/data',
      HOST: '0.0.0.0',
      INTRA_OP_THREADS: '1',
      LOG_LEVEL: 'info',
      MALLOC_ARENA_MAX: '2',
      MALLOC_TRIM_THRESHOLD_: '131072',
      NODE_ENV: 'production',
      PHOTO_STORE: 'postgres',
      PORT: '8080',
      QUEUE_SIZE: '16',
      SHUTDOWN_DRAIN_DELAY_MS: '5000',
      SHUTDOWN_TIMEOUT_MS: '15000', // grace 30 s - preStop 5 s - drain 5 s - 5 s
      TRUST_PROXY: 'false', // no ingress
      WORKERS: '2',
    });
    const fullCm = byKind(full, 'ConfigMap').find((c) => !c.metadata.name.endsWith('-dashboard'))!;
    expect(fullCm.data).toMatchObject({
      MAX_BODY_BYTES: '15728640',
      MAX_PIXELS: '40000000',
      RATE_LIMIT_PER_MINUTE: '600',
      TRUST_PROXY: '1', // behind the ingress: one trusted hop
    });
    // API keys only: a Secret with API_KEYS, no DATABASE_URL (the server falls back to PGlite)
    expect(Object.keys(one(defaults, 'Secret').data!)).toEqual(['API_KEYS']);
    expect(one(defaults, 'Deployment').spec.template.spec.containers[0].env).toEqual([
      { name: 'API_KEYS', valueFrom: { secretKeyRef: { name: 'rel-shelfwatch', key: 'API_KEYS' } } },
    ]);
    // an existing Secret: both keys referenced from it, no Secret rendered
    expect(byKind(full, 'Secret')).toEqual([]);
    const env = one(full, 'Deployment').spec.template.spec.containers[0].env;
    expect(env).toEqual([
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'shelfwatch-prod', key: 'DATABASE_URL', optional: true } },
      },
      {
        name: 'API_KEYS',
        valueFrom: { secretKeyRef: { name: 'shelfwatch-prod', key: 'API_KEYS' } },
      },
    ]);
    // inline values: the chart makes the Secret
    const fixed = rendered['fixed-replicas-values.yaml']!;
    const secret = one(fixed, 'Secret');
    expect(Buffer.from(secret.data!.DATABASE_URL!, 'base64').toString()).toMatch(/^postgres:\/\//);
    expect(JSON.parse(Buffer.from(secret.data!.API_KEYS!, 'base64').toString())[0].stores).toEqual([
      'store-1',
    ]);
    expect(one(fixed, 'Deployment').spec.replicas).toBe(1);
    expect(byKind(fixed, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(byKind(fixed, 'ConfigMap')[0]!.data!.DATA_DIR).toBe('/var/lib/shelfwatch');
  });

  it('optional objects only when enabled', () => {
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'Ingress'])
      expect(byKind(defaults, kind), kind).toEqual([]);
    expect(byKind(defaults, 'ConfigMap')).toHaveLength(1);
    expect(one(defaults, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 1 });
    expect(one(full, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: '25%' });
    const sm = one(full, 'ServiceMonitor');
    expect(sm.metadata.labels!.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '15s', scrapeTimeout: '10s' },
    ]);
    // it selects the API Service (and the workers' one, when there are workers)
    const api = one(full, 'Service');
    expect(api.metadata.labels!['app.kubernetes.io/instance']).toBe(
      sm.spec.selector.matchLabels['app.kubernetes.io/instance'],
    );
    expect(sm.spec.selector.matchExpressions[0].values).toContain(
      api.metadata.labels!['app.kubernetes.io/name'],
    );
    for (const kind of ['ScaledObject', 'TriggerAuthentication'])
      expect(byKind(full, kind), kind).toEqual([]);
    const ing = one(full, 'Ingress');
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({
      name: 'shelfwatch',
      port: { name: 'http' },
    });
  });

  it('PrometheusRule and dashboard ConfigMap carry the canonical files unchanged', () => {
    const rule = one(full, 'PrometheusRule');
    const canonical = readYaml(join(CHART_DIR, 'files/prometheus-rules.yaml')) as { groups: unknown };
    expect(rule.spec.groups).toEqual(canonical.groups);
    const dash = byKind(full, 'ConfigMap').find((c) => c.metadata.name.endsWith('-dashboard'))!;
    expect(dash.metadata.namespace).toBe('monitoring');
    expect(dash.metadata.labels!.grafana_dashboard).toBe('1');
    expect(JSON.parse(dash.data!['shelfwatch.json']!)).toEqual(
      JSON.parse(readFileSync(join(CHART_DIR, 'dashboards/shelfwatch.json'), 'utf8')),
    );
  });

  it('image: tag falls back to appVersion, digest pins it', () => {
    expect(one(full, 'Deployment').spec.template.spec.containers[0].image).toMatch(
      /:1\.2\.0@sha256:[0-9a-f]{64}$/,
    );
    const tagged = render(['--set', 'image.tag=2.0.1']);
    expect(one(tagged, 'Deployment').spec.template.spec.containers[0].image).toMatch(/:2\.0\.1$/);
    expect(one(tagged, 'Deployment').metadata.labels!['app.kubernetes.io/version']).toBe('2.0.1');
  });

  it('trims the full name to 63 characters', () => {
    const long = 'a-release-name-right-at-helms-53-character-name-limit'; // + "-shelfwatch": 64
    const deploy = one(render([], long), 'Deployment');
    expect(deploy.metadata.name).toHaveLength(63);
    expect(deploy.metadata.name).toBe(`${long}-shelfwatch`.slice(0, 63).replace(/-+$/, ''));
    // a release name that already contains the chart name is used as is
    expect(one(render([], 'shelfwatch-prod'), 'Deployment').metadata.name).toBe('shelfwatch-prod');
  });

  it('helm refuses values that break the schema', () => {
    expect(() => render(['--set', 'autoscaling.targetCPUUtilizationPercentage=0'])).toThrow(
      /values don't meet the specifications|minimum/,
    );
    expect(() => render(['--set', 'service.type=Headless'])).toThrow();
  });
});

describe('NOTES.txt', () => {
  // `helm template` does not print NOTES.txt and `helm install --dry-run` needs a cluster, so a copy
  // of the chart renders it through Helm's own engine with `tpl`, wrapped in a ConfigMap.
  const tmp = mkdtempSync(join(tmpdir(), 'shelfwatch-notes-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const chartCopy = join(tmp, 'shelfwatch');
  cpSync(CHART_DIR, chartCopy, { recursive: true });
  // .Files cannot read templates/, so the copy carries NOTES.txt a second time outside it
  cpSync(join(CHART_DIR, 'templates/NOTES.txt'), join(chartCopy, 'notes-under-test.txt'));
  writeFileSync(
    join(chartCopy, 'templates/zz-notes.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |-\n{{ tpl (.Files.Get "notes-under-test.txt") . | indent 4 }}\n',
  );
  const notes = (args: string[]) => {
    const out = helm([
      'template',
      'rel',
      chartCopy,
      '--namespace',
      'shop',
      '--show-only',
      'templates/zz-notes.yaml',
      ...REQUIRED,
      ...args,
    ]);
    return (parse(out) as Manifest).data!.notes!;
  };

  it('tells how to reach the release and warns about a missing database', () => {
    const text = notes([]);
    expect(text).toContain('kubectl --namespace shop port-forward service/rel-shelfwatch 8080:80');
    expect(text).toContain(`ShelfWatch ${chart.appVersion} (model version)`);
    expect(text).toMatch(/WARNING: no DATABASE_URL is set[\s\S]*\/data/);
    // missing API keys are no warning: the chart refuses to render (see the hardening tests)
  });

  it('with production values: the ingress URL and no warnings', () => {
    const text = notes(['-f', join(CI_DIR, 'full-values.yaml')]);
    expect(text).toContain('https://shelfwatch.example.com/');
    expect(text).not.toContain('WARNING');
  });
});
