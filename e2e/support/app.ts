/** Helpers that drive the PWA through its stable test hooks (data-testid and data-* attributes). */
import { readFileSync } from 'node:fs';
import { type APIRequestContext, type BrowserContext, expect, type Page } from '@playwright/test';

export type Box = [number, number, number, number];

export interface PredictBody {
  count: number;
  detections: { box: Box; score: number; label: string }[];
}

export function fixturePath(): string {
  const f = process.env.E2E_FIXTURE;
  if (!f) throw new Error('E2E_FIXTURE is not set (global-setup.ts did not run)');
  return f;
}

/** Writes the app's settings before any page script runs (on every navigation of the context). */
export async function useSettings(
  context: BrowserContext,
  settings: Partial<{
    engine: 'auto' | 'device' | 'server';
    threads: number;
    apiKey: string;
    storeId: string;
  }>,
): Promise<void> {
  await context.addInitScript((s) => {
    localStorage.setItem(
      'shelfwatch.settings',
      JSON.stringify({ engine: 'auto', threads: 0, apiKey: '', storeId: '', ...s }),
    );
  }, settings);
}

/** Waits until the device engine has settled (ready/slow/failed/unsupported) and returns its state. */
export async function deviceSettled(page: Page): Promise<string> {
  const engine = page.getByTestId('engine');
  await expect
    .poll(async () => engine.getAttribute('data-device-state'), { timeout: 90_000 })
    .toMatch(/^(ready|slow|failed|unsupported|weak)$/);
  return (await engine.getAttribute('data-device-state'))!;
}

export interface ScanResult {
  count: number;
  engine: string;
  boxes: Box[];
  ms: number;
  inferenceMs: number;
  /** The engine's stage timings (`timingsMs` of the result). */
  timings: Record<string, number>;
}

/** Chooses the fixture photo in the file input and waits for the drawn result. */
export async function scan(page: Page, file: string = fixturePath()): Promise<ScanResult> {
  const count = page.getByTestId('count');
  await page.evaluate(() => {
    const c = document.querySelector<HTMLElement>('[data-testid=count]')!;
    c.textContent = '';
    delete c.dataset.ms;
  });
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(count).toHaveText(/^\d+$/, { timeout: 90_000 });
  await expect(count).toHaveAttribute('data-ms', /\d/);
  const boxes = await page.$$eval('#overlay rect.box', (rects) =>
    rects.map((r) => {
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((k) => Number(r.getAttribute(k)));
      return [x!, y!, x! + w!, y! + h!] as [number, number, number, number];
    }),
  );
  return {
    count: Number(await count.textContent()),
    engine: (await page.getByTestId('engine').getAttribute('data-engine')) ?? '',
    boxes,
    ms: Number(await count.getAttribute('data-ms')),
    inferenceMs: Number(await count.getAttribute('data-inference-ms')),
    timings: JSON.parse((await count.getAttribute('data-timings')) ?? '{}') as Record<string, number>,
  };
}

/** `POST /predict` with the same file, as the raw body. */
export async function predict(
  request: APIRequestContext,
  file: string = fixturePath(),
): Promise<PredictBody> {
  const r = await request.post('/predict', {
    data: readFileSync(file),
    headers: { 'content-type': 'image/jpeg' },
  });
  expect(r.status()).toBe(200);
  return (await r.json()) as PredictBody;
}

export function iou(a: Box, b: Box): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy one-to-one matching by IoU (highest pairs first); returns the IoU of each matched pair. */
export function matchBoxes(a: Box[], b: Box[]): number[] {
  const pairs: [number, number, number][] = [];
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      const v = iou(a[i]!, b[j]!);
      if (v > 0) pairs.push([v, i, j]);
    }
  }
  pairs.sort((p, q) => q[0] - p[0]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const out: number[] = [];
  for (const [v, i, j] of pairs) {
    if (usedA.has(i) || usedB.has(j)) continue;
    usedA.add(i);
    usedB.add(j);
    out.push(v);
  }
  return out;
}
