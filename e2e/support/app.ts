/** Helpers that drive the PWA through its stable test hooks (data-testid and data-* attributes). */
import { readFileSync } from 'node:fs';
import { type APIRequestContext, type BrowserContext, expect, type Page, type Route } from '@playwright/test';

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

export interface AppSettings {
  engine: 'auto' | 'device' | 'server';
  threads: number;
  apiKey: string;
  storeId: string;
  setupDone: boolean;
}

/**
 * Sets the app's settings before any page script runs, on every navigation of the context, through
 * the app's own migration of older settings (localStorage `shelfwatch.settings`, moved into
 * IndexedDB at start). First-run setup counts as done unless `setupDone: false` is given.
 */
export async function useSettings(context: BrowserContext, settings: Partial<AppSettings>): Promise<void> {
  await context.addInitScript((s) => {
    localStorage.setItem(
      'shelfwatch.settings',
      JSON.stringify({ engine: 'auto', threads: 0, apiKey: '', storeId: '', setupDone: true, ...s }),
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

/** The product boxes drawn on the overlay (one path `M x1 y1 H x2 V y2 H x1 Z` per box). */
export async function drawnBoxes(page: Page): Promise<Box[]> {
  const d = (await page.locator('#overlay [data-testid=boxes] path.line').getAttribute('d')) ?? '';
  return [...d.matchAll(/M([\d.-]+) ([\d.-]+)H([\d.-]+)V([\d.-]+)H[\d.-]+Z/g)].map(
    (m) => [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as Box,
  );
}

export type PhotoInput = string | { name: string; mimeType: string; buffer: Buffer };

/**
 * Chooses a photo in the gallery input and waits for the review step; quality warnings are
 * accepted ("Use anyway") unless `acceptWarnings` is false.
 */
export async function scan(
  page: Page,
  file: PhotoInput = fixturePath(),
  { acceptWarnings = true }: { acceptWarnings?: boolean } = {},
): Promise<ScanResult> {
  const count = page.getByTestId('count');
  const main = page.locator('main');
  const before = Number((await main.getAttribute('data-session')) ?? 0);
  await page.getByTestId('file-input').setInputFiles(file);
  await expect
    .poll(async () => Number((await main.getAttribute('data-session')) ?? 0))
    .toBeGreaterThan(before);
  const use = page.getByRole('button', { name: 'Use anyway' });
  await expect
    .poll(
      async () => {
        const step = await main.getAttribute('data-step');
        if (step === 'check' && acceptWarnings && (await use.isVisible())) await use.click();
        return step;
      },
      { timeout: 90_000 },
    )
    .toMatch(/^(review|capture)$/);
  if ((await main.getAttribute('data-step')) === 'capture') {
    throw new Error(`scan refused: ${await page.getByTestId('scan-error').textContent()}`);
  }
  await expect(count).toHaveText(/^\d+$/);
  await expect(count).toHaveAttribute('data-ms', /\d/);
  // Saved in history (IndexedDB), so that a reload or another tab finds it.
  await expect(count).toHaveAttribute('data-saved', (await count.getAttribute('data-scan-id')) ?? '');
  const boxes = await drawnBoxes(page);
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

/** From the review step: "Audit this shelf", fill the form, submit; waits for the confirmation step. */
export async function fileAudit(
  page: Page,
  { storeId, aisle, note }: { storeId?: string; aisle: string; note?: string },
): Promise<void> {
  await page.getByTestId('to-audit').click();
  if (storeId !== undefined) await page.locator('#audit-store').fill(storeId);
  await page.locator('#audit-aisle').fill(aisle);
  if (note !== undefined) await page.locator('#audit-note').fill(note);
  await page.getByRole('button', { name: 'Submit audit' }).click();
  await expect(page.locator('main')).toHaveAttribute('data-step', 'done');
}

/** The audits stored on the server for a store (newest first), with the development key by default. */
export async function serverAudits(
  request: APIRequestContext,
  storeId = 'demo-store',
  key = 'dev-key',
): Promise<
  {
    id: string;
    aisle: string;
    count: number;
    note: string | null;
    image: { width: number; height: number; sha256: string };
  }[]
> {
  const r = await request.get(`/audits?storeId=${storeId}&limit=100`, {
    headers: { authorization: `Bearer ${key}` },
  });
  expect(r.status()).toBe(200);
  return ((await r.json()) as { items: never[] }).items;
}

/** Answers an intercepted request as a store Wi-Fi's captive portal does: 200, an HTML sign-in page. */
export function fulfillAsCaptivePortal(route: Route): Promise<void> {
  return route.fulfill({
    status: 200,
    contentType: 'text/html',
    body: '<html><h1>Sign in to Store-WiFi</h1></html>',
  });
}

export /** The fixture shelf with its right half painted over (products gone, a gap), as JPEG bytes. */
async function emptiedShelf(page: Page): Promise<Buffer> {
  const b64 = await page.evaluate(async (src) => {
    const img = await createImageBitmap(new Blob([Uint8Array.from(atob(src), (c) => c.charCodeAt(0))]));
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    g.fillStyle = '#d9cbb0';
    g.fillRect(img.width * 0.55, 0, img.width * 0.45, img.height);
    const bytes = new Uint8Array(
      await (await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer(),
    );
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }, readFileSync(fixturePath()).toString('base64'));
  return Buffer.from(b64, 'base64');
}
