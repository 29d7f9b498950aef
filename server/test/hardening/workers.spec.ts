import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModelPath } from '../../src/inference/model-files.js';
import { buildTestApp, testConfig } from '../helpers/app.js';
import { listen, postImage, request } from '../helpers/http.js';
import { shelfJpeg } from '../helpers/images.js';

// Issue 9, item 1: readiness reflects whether the workers can serve, not only whether threads exist.
let app: FastifyInstance;
let close: () => Promise<void>;
let base: string;
let dir: string;
let modelCopy: string;
let shipped: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shelfwatch-model-'));
  const probe = testConfig();
  shipped = (await resolveModelPath(probe.config)).path;
  probe.cleanup();
  modelCopy = join(dir, 'model.onnx');
  copyFileSync(shipped, modelCopy);
  ({ app, close } = await buildTestApp({ WORKERS: '1', MODEL_PATH: modelCopy }));
  base = await listen(app);
});
afterAll(async () => {
  await close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('readiness follows the workers', () => {
  it('a replacement worker that cannot load the model: readiness 503, /predict 503 NOT_READY, no restart loop', async () => {
    const photo = await shelfJpeg(320, 240);
    expect((await postImage(base, '/predict', photo, 'image/jpeg')).status).toBe(200);
    // The model file goes bad under the running server, then its only worker dies.
    writeFileSync(modelCopy, 'not an onnx model');
    const [worker] = app.inference.pool.threads;
    await worker!.terminate();
    await expect
      .poll(async () => (await request(`${base}/health/ready`)).status, { timeout: 20_000 })
      .toBe(503);
    const ready = (await request(`${base}/health/ready`)).json<{ checks: { model: boolean } }>();
    expect(ready.checks.model).toBe(false);
    const refused = await postImage(base, '/predict', photo, 'image/jpeg');
    expect(refused.status).toBe(503);
    expect(refused.json().error.code).toBe('NOT_READY');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The broken worker stays up (answering NOT_READY) rather than being replaced in a tight loop.
    const thread = app.inference.pool.threads[0];
    await new Promise((r) => setTimeout(r, 500));
    expect(app.inference.pool.threads).toHaveLength(1);
    expect(app.inference.pool.threads[0]).toBe(thread);

    // Once the model is back and the worker is replaced, one readiness probe sees it serve again.
    copyFileSync(shipped, modelCopy);
    await thread!.terminate();
    await expect
      .poll(async () => (await request(`${base}/health/ready`)).status, { timeout: 20_000 })
      .toBe(200);
    expect((await postImage(base, '/predict', photo, 'image/jpeg')).status).toBe(200);
  });
});
