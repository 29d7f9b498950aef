import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { shelfJpeg } from '../helpers/images.js';

// Health, metrics, OpenAPI docs, security headers, request ids, rate limit and PWA hosting.
let app: FastifyInstance;
let close: () => Promise<void>;
let webRoot: string;

beforeAll(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'shelfwatch-web-'));
  mkdirSync(join(webRoot, 'assets'));
  writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>ShelfWatch</title>');
  writeFileSync(join(webRoot, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(webRoot, 'assets/index-B3xk9a7Q.js'), 'console.log(1);');
  writeFileSync(
    join(webRoot, 'assets/ort-wasm-simd-threaded.wasm'),
    Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
  );
  writeFileSync(join(webRoot, 'assets/worker-Cq1x2y3z.mjs'), 'export {};');
  writeFileSync(join(webRoot, 'model.onnx'), Buffer.alloc(16));
  ({ app, close } = await buildTestApp({ WEB_ROOT: webRoot, RATE_LIMIT_PER_MINUTE: '3' }));
});
afterAll(async () => {
  await close?.();
  rmSync(webRoot, { recursive: true, force: true });
});

describe('health', () => {
  it('live and ready answer 200 once the model and database are up', async () => {
    expect((await app.inject('/health/live')).json()).toEqual({ status: 'ok' });
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ok',
      checks: { model: true, workers: 1, database: true, queue: true, shuttingDown: false },
    });
  });

  it('ready flips to 503 while shutting down', async () => {
    app.shuttingDown = true;
    try {
      const res = await app.inject('/health/ready');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        status: 'unavailable',
        error: { code: 'NOT_READY' },
        checks: { shuttingDown: true },
      });
      expect(res.headers.connection).toBe('close');
    } finally {
      app.shuttingDown = false;
    }
  });
});

describe('metrics', () => {
  it('exposes every metric name of docs/ARCHITECTURE.md', async () => {
    await app.inject({
      method: 'POST',
      url: '/predict',
      payload: await shelfJpeg(320, 240),
      headers: { 'content-type': 'image/jpeg' },
    });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const text = res.body;
    for (const name of [
      'http_request_duration_seconds_bucket{le="0.05",method="POST",route="/predict",status="200"}',
      'shelfwatch_inference_stage_duration_seconds_bucket{le="0.5",stage="decode"}',
      'shelfwatch_inference_stage_duration_seconds_count{stage="inference"}',
      'shelfwatch_inference_stage_duration_seconds_count{stage="resize"}',
      'shelfwatch_inference_stage_duration_seconds_count{stage="tensor"}',
      'shelfwatch_inference_stage_duration_seconds_count{stage="postprocess"}',
      'shelfwatch_detections_per_image_bucket',
      'shelfwatch_queue_depth 0',
      'shelfwatch_workers_busy 0',
      'shelfwatch_workers 1',
      '# TYPE shelfwatch_requests_rejected_total counter',
      '# TYPE shelfwatch_request_errors_total counter',
      '# TYPE shelfwatch_audits_created_total counter',
      'shelfwatch_audit_jobs{status="queued"} 0',
      'shelfwatch_audit_jobs{status="running"} 0',
      'shelfwatch_audit_job_oldest_age_seconds 0',
      '# TYPE shelfwatch_audit_jobs_accepted_total counter',
      '# TYPE shelfwatch_audit_jobs_finished_total counter',
      '# TYPE shelfwatch_audit_job_retries_total counter',
      '# TYPE shelfwatch_audit_jobs_dead_lettered_total counter',
      '# TYPE shelfwatch_audit_job_duration_seconds histogram',
      '# TYPE shelfwatch_audit_job_latency_seconds histogram',
      'shelfwatch_model_info{name="',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
  });
});

describe('docs, headers, request ids', () => {
  it('serves OpenAPI generated from the route schemas', async () => {
    const spec = (await app.inject('/docs/json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    for (const path of [
      '/predict',
      '/audits',
      '/audits/{id}',
      '/audits/{id}/photo',
      '/audits/jobs/{jobId}',
      '/health/live',
      '/health/ready',
      '/metrics',
    ]) {
      expect(Object.keys(spec.paths), path).toContain(path);
    }
    const predicted = spec.paths['/predict'].post.responses['200'].content['application/json'].schema;
    expect(predicted.properties.detections.items.required).toContain('row');
    expect(predicted.properties.shelf.properties.rows.items.required).toContain('line');
    expect(Object.keys(spec.paths['/predict'].post.requestBody.content)).toEqual([
      'image/jpeg',
      'image/png',
      'image/webp',
      'multipart/form-data',
    ]);
    // The audit route documents its multipart text fields from its own input schema.
    const create = spec.paths['/audits'].post;
    const form = create.requestBody.content['multipart/form-data'].schema;
    expect(form.required).toEqual(['image', 'storeId', 'aisle']);
    expect(Object.keys(form.properties)).toEqual(['image', 'storeId', 'aisle', 'note']);
    expect(form.properties.storeId.pattern).toBeDefined();
    expect(spec.paths['/predict'].post.requestBody.content['multipart/form-data'].schema.required).toEqual([
      'image',
    ]);
    // The asynchronous contract (issue 13): 202 with a job, the Prefer header, the job and photo routes.
    const job = create.responses['202'].content['application/json'].schema.properties.job;
    expect(
      job.properties.status.anyOf.map((s: { const?: string; enum?: string[] }) => s.const ?? s.enum?.[0]),
    ).toEqual(['queued', 'running', 'done', 'failed']);
    expect(create.parameters.map((p: { in: string; name: string }) => `${p.in}:${p.name}`)).toContain(
      'header:prefer',
    );
    expect(Object.keys(spec.paths['/audits/jobs/{jobId}'].get.responses)).toEqual(
      expect.arrayContaining(['200', '404']),
    );
    expect(Object.keys(spec.paths['/audits/{id}/photo'].get.responses['200'].content)).toContain(
      'image/jpeg',
    );
    expect((await app.inject('/docs')).statusCode).toBeLessThan(400);
  });

  it('sets COOP/COEP and security headers on every response, API errors included', async () => {
    for (const url of ['/health/live', '/nope', '/docs/json', '/']) {
      const res = await app.inject(url);
      expect(res.headers['cross-origin-opener-policy'], url).toBe('same-origin');
      expect(res.headers['cross-origin-embedder-policy'], url).toBe('require-corp');
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
    }
  });

  it('echoes a caller request id, or makes one', async () => {
    const given = await app.inject({ url: '/health/live', headers: { 'x-request-id': 'phone-abc-123' } });
    expect(given.headers['x-request-id']).toBe('phone-abc-123');
    const made = await app.inject('/health/live');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('unknown routes are a JSON 404', async () => {
    const res = await app.inject('/api/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });
});

describe('PWA hosting', () => {
  it('serves index.html and sw.js with no-cache', async () => {
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['cache-control']).toBe('no-cache');
    const sw = await app.inject('/sw.js');
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.headers['content-type']).toContain('javascript');
  });

  it('caches hashed assets for a year, immutable, with the right MIME types', async () => {
    const js = await app.inject('/assets/index-B3xk9a7Q.js');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const wasm = await app.inject('/assets/ort-wasm-simd-threaded.wasm');
    expect(wasm.statusCode).toBe(200);
    expect(wasm.headers['content-type']).toBe('application/wasm');
    const mjs = await app.inject('/assets/worker-Cq1x2y3z.mjs');
    expect(mjs.headers['content-type']).toMatch(/^text\/javascript/);
    const onnx = await app.inject('/model.onnx');
    expect(onnx.headers['content-type']).toBe('application/octet-stream');
    expect(onnx.headers['cache-control']).not.toContain('immutable');
  });
});

describe('rate limit (3 per minute here)', () => {
  it('answers 429 RATE_LIMITED past the limit on /predict, never on health', async () => {
    const photo = await shelfJpeg(160, 120);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/predict',
        payload: photo,
        headers: { 'content-type': 'image/jpeg' },
        remoteAddress: '10.9.9.9',
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(res.json().error.code).toBe('RATE_LIMITED');
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect((await app.inject({ url: '/health/live', remoteAddress: '10.9.9.9' })).statusCode).toBe(200);
    expect((await app.inject('/metrics')).body).toMatch(
      /shelfwatch_requests_rejected_total\{code="RATE_LIMITED"\} [1-9]/,
    );
  });
});
