/**
 * Phone/server parity, in the real PWA worker: for every fixture photo, the production build's
 * detector worker (Chromium's decode + the shared pipeline) must build the model input whose SHA-256
 * the server's adapter committed (server/test/parity.spec.ts checks the server against the same
 * values). Byte-identical input, so the model sees the same thing on the phone and on the server.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { needSharedData } from '@shelfwatch/test-utils';
import { REPO_DIR } from '../support/paths.ts';

interface GoldenPhoto {
  file?: string;
  shared?: string;
  width: number;
  height: number;
  tensorSha256: string;
}

const FIXTURES = join(REPO_DIR, 'server/test/fixtures/parity');
const SHARED_DATA = join(REPO_DIR, '../shared/data');
const golden = JSON.parse(readFileSync(join(FIXTURES, 'golden.json'), 'utf8')) as {
  inputSize: [number, number];
  photos: GoldenPhoto[];
};
const TYPES: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };
// The page talks to the worker through comlink, as the app does (the worker's one interface).
const COMLINK = readFileSync(
  createRequire(join(REPO_DIR, 'web/package.json')).resolve('comlink/dist/umd/comlink.min.js'),
  'utf8',
);

// comlink is injected as an inline script into a same-origin page that the CSP does not expect it on.
test.use({ bypassCSP: true });

test('the PWA worker builds the golden model input for every fixture photo', async ({ page }) => {
  const worker = readdirSync(join(REPO_DIR, 'web/dist/assets')).find((f) =>
    /^detector\.worker-.+\.js$/.test(f),
  );
  expect(worker, 'the production build has a detector worker').toBeDefined();
  await page.goto('/health/live');
  await page.addScriptTag({ content: COMLINK });
  await page.evaluate((url) => {
    const w = window as unknown as { Comlink: { wrap(w: Worker): unknown }; detector: unknown };
    w.detector = w.Comlink.wrap(new Worker(url, { type: 'module' }));
  }, `/assets/${worker}`);
  const checked: string[] = [];
  for (const photo of golden.photos) {
    const path = photo.file ? join(FIXTURES, photo.file) : join(SHARED_DATA, photo.shared!);
    if (!needSharedData(path)) continue;
    const name = photo.file ?? photo.shared!;
    const got = await page.evaluate(
      async ({ b64, type, size }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const detector = (
          window as unknown as { detector: { inputChecksum: (b: Blob, s: number[]) => unknown } }
        ).detector;
        return detector.inputChecksum(new Blob([bytes], { type }), size);
      },
      {
        b64: readFileSync(path).toString('base64'),
        type: TYPES[name.split('.').pop()!]!,
        size: golden.inputSize,
      },
    );
    expect(got, name).toEqual({ sha256: photo.tensorSha256, width: photo.width, height: photo.height });
    checked.push(name);
  }
  expect(checked.length).toBeGreaterThanOrEqual(golden.photos.filter((p) => p.file).length);
});
