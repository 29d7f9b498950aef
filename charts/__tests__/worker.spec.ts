import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/src/db/migrations.js';
import { createPostgresClient, type SqlClient } from '../../server/src/db/sql-client.js';
import { CHART_DIR } from './support/helm.js';
import { validateKubernetesObject } from './support/kube-schema.js';
import { byKind, type Manifest, one, render } from './support/render.js';

// Issue 13: the audit-job workers (`shelfwatch worker`), their HPA fallback and the KEDA ScaledObject
// on the queue depth, checked on `helm template` output like the rest of the chart. No cluster and
// no KEDA here: the ScaledObject is validated against KEDA's CRD schema, and its query runs against
// the real PostgreSQL on the server's own migrations.

const WORKER = ['-f', join(CHART_DIR, 'ci/worker-values.yaml')];
const isWorker = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/name'] === 'shelfwatch-worker';
const workerDeployment = (ms: Manifest[]) => one(ms.filter(isWorker), 'Deployment');
const apiDeployment = (ms: Manifest[]) =>
  one(
    ms.filter((m) => !isWorker(m)),
    'Deployment',
  );

describe('audit-job workers', () => {
  const keda = render(WORKER);
  const hpa = render(['--set', 'secret.databaseUrl=postgres://db/shelfwatch,worker.enabled=true']);

  it('are off by default: the API pods run the jobs, nothing of KEDA is rendered', () => {
    const defaults = render();
    expect(defaults.filter(isWorker)).toEqual([]);
    for (const kind of ['ScaledObject', 'TriggerAuthentication']) expect(byKind(defaults, kind)).toEqual([]);
    expect(one(defaults, 'ConfigMap').data!.JOB_CONSUMERS).toBeUndefined();
  });

  it('refuse to render without PostgreSQL, naming what to set', () => {
    expect(() => render(['--set', 'worker.enabled=true'])).toThrow(/worker\.enabled needs PostgreSQL/);
    expect(() => render(['--set', 'config.photoStore=s3'])).toThrow(/needs config\.s3Bucket/);
    expect(() => render(['--set', 'config.extraEnv.JOB_CONSUMERS=true'])).toThrow(
      /must not set JOB_CONSUMERS/,
    );
  });

  it('run `shelfwatch worker` from the same image and settings, never behind the API Service', () => {
    const worker = workerDeployment(keda);
    const api = apiDeployment(keda);
    const [c] = worker.spec.template.spec.containers;
    const [a] = api.spec.template.spec.containers;
    expect(c.command).toEqual(['node', 'server/dist/cli.js', 'worker']);
    expect(c.image).toBe(a.image);
    expect(c.envFrom).toEqual(a.envFrom);
    expect(c.env).toEqual([
      ...a.env,
      { name: 'WORKERS', value: '2' },
      { name: 'SHUTDOWN_DRAIN_DELAY_MS', value: '0' },
      { name: 'SHUTDOWN_TIMEOUT_MS', value: '40000' },
    ]);
    expect(a.env.map((e: { name: string }) => e.name)).toContain('DATABASE_URL');
    expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(c.securityContext).toEqual(a.securityContext);
    expect(c.lifecycle, 'no traffic to wait for').toBeUndefined();
    expect(worker.spec.template.spec.terminationGracePeriodSeconds).toBe(45);
    // The API Service and PDB select the API pods only; the workers' own Service is for /metrics.
    const workerLabels = worker.spec.template.metadata.labels;
    const apiService = one(
      keda.filter((m) => !isWorker(m)),
      'Service',
    );
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects(apiService.spec.selector, workerLabels)).toBe(false);
    expect(selects(one(keda, 'PodDisruptionBudget').spec.selector.matchLabels, workerLabels)).toBe(false);
    expect(selects(worker.spec.selector.matchLabels, api.spec.template.metadata.labels)).toBe(false);
    const workerService = one(keda.filter(isWorker), 'Service');
    expect(selects(workerService.spec.selector, workerLabels)).toBe(true);
    expect(workerService.spec.clusterIP).toBe('None');
    // The ServiceMonitor scrapes both Services.
    const sm = one(keda, 'ServiceMonitor');
    expect(sm.spec.selector.matchExpressions[0].values).toEqual(['shelfwatch', 'shelfwatch-worker']);
    // The API pods stop running jobs; photos go to S3.
    expect(one(keda, 'ConfigMap').data).toMatchObject({
      JOB_CONSUMERS: 'false',
      JOB_CONCURRENCY: '2',
      JOB_MAX_ATTEMPTS: '5',
      PHOTO_STORE: 's3',
      S3_BUCKET: 'shelfwatch-photos-prod',
      S3_REGION: 'eu-west-1',
      PHOTO_RETENTION_DAYS: '30',
    });
  });

  it('get memory from the same worst case as the API: no upload slots, their running jobs', () => {
    const c = workerDeployment(hpa).spec.template.spec.containers[0];
    // 160 + 40 x 2 + 2 jobs x 16 MiB + 2 x 24 B x 16.7 MP = 1040 MiB, +20 % -> 1280 MiB
    expect(c.resources).toEqual({
      requests: { cpu: '2', memory: '1280Mi' },
      limits: { cpu: '2', memory: '1280Mi' },
    });
  });

  it('without KEDA: an HPA on CPU for the workers (the fallback), beside the API HPA', () => {
    const hpas = byKind(hpa, 'HorizontalPodAutoscaler');
    expect(hpas).toHaveLength(2);
    const w = hpas.find(isWorker)!;
    expect(w.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: workerDeployment(hpa).metadata.name,
    });
    expect(w.spec).toMatchObject({ minReplicas: 1, maxReplicas: 10 });
    expect(w.spec.metrics[0].resource.target.averageUtilization).toBe(70);
    expect(workerDeployment(hpa).spec.replicas, 'the HPA owns the count').toBeUndefined();
    expect(byKind(hpa, 'ScaledObject')).toEqual([]);
    const fixed = render([
      '--set',
      'secret.databaseUrl=postgres://db/x,worker.enabled=true,worker.autoscaling.enabled=false,worker.replicaCount=3',
    ]);
    expect(workerDeployment(fixed).spec.replicas).toBe(3);
  });

  it('with KEDA: a ScaledObject on the queue depth instead of the worker HPA', () => {
    expect(byKind(keda, 'HorizontalPodAutoscaler').filter(isWorker)).toEqual([]);
    const so = one(keda, 'ScaledObject');
    expect(so.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: workerDeployment(keda).metadata.name,
    });
    expect(so.spec).toMatchObject({
      minReplicaCount: 0,
      maxReplicaCount: 30,
      fallback: { failureThreshold: 3, replicas: 2 },
    });
    const [trigger] = so.spec.triggers;
    expect(trigger.type).toBe('postgresql');
    expect(trigger.metadata).toMatchObject({ targetQueryValue: '25', activationTargetQueryValue: '0' });
    expect(workerDeployment(keda).spec.replicas, 'KEDA owns the count').toBeUndefined();
    // The connection comes from the pods' own Secret key.
    const auth = one(keda, 'TriggerAuthentication');
    expect(trigger.authenticationRef.name).toBe(auth.metadata.name);
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'connection', name: 'shelfwatch-prod', key: 'DATABASE_URL' },
    ]);
  });

  it('every worker object is valid for its Kubernetes / KEDA CRD schema', async () => {
    for (const m of [...keda.filter(isWorker), ...hpa.filter(isWorker)])
      await expect(validateKubernetesObject(m), `${m.kind}/${m.metadata.name}`).resolves.toBeUndefined();
    const so = structuredClone(one(keda, 'ScaledObject'));
    so.spec.minReplicaCount = 'none';
    await expect(validateKubernetesObject(so)).rejects.toThrow(/minReplicaCount must be integer/);
  });
});

describe('the ScaledObject query on the real PostgreSQL', () => {
  let db: SqlClient;
  let schema: string;
  const admin = createPostgresClient(
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  );
  let reachable = true;

  beforeAll(async () => {
    schema = `shelfwatch_chart_${process.pid}`;
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
    } catch (err) {
      if (process.env.CI) throw err;
      reachable = false;
      console.warn(`PostgreSQL unreachable, the KEDA query is not run: ${String(err)}`);
      return;
    }
    const url = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
    url.searchParams.set('options', `-c search_path=${schema}`);
    db = createPostgresClient(url.toString());
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    if (reachable) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });

  it('counts the jobs queued or running, as the server migrates the table', async (ctx) => {
    if (!reachable) ctx.skip();
    const { query } = one(render(WORKER), 'ScaledObject').spec.triggers[0].metadata;
    const insert = (status: string) =>
      db.query(
        `INSERT INTO audit_jobs (id, status, store_id, aisle, api_key_name, image_sha256, options)
         VALUES (gen_random_uuid(), $1, 's', 'a', 'k', $2, '{}')`,
        [status, 'a'.repeat(64)],
      );
    for (const status of ['queued', 'queued', 'running', 'done', 'failed']) await insert(status);
    const { rows } = await db.query<{ count: string }>(query);
    expect(Number(rows[0]!.count)).toBe(3);
  });
});
