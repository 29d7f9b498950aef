/**
 * The live camera with Chromium's fake camera (`--use-fake-device-for-media-stream`) fed with a shelf
 * photo: the viewfinder opens full screen at the camera's full resolution (not 640x480), the photo
 * is taken at that size (ImageCapture.takePhoto) and counted.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, devices, expect, test } from '@playwright/test';
import { useSettings } from '../support/app.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/paths.ts';
import { shelfPhoto } from '../support/photos.ts';
import { snap } from '../support/screens.ts';

let browser: Browser;
let dir: string;
test.beforeAll(async () => {
  // One JPEG played as an MJPEG stream: the fake camera shows this shelf at the photo's size.
  dir = mkdtempSync(join(tmpdir(), 'shelfwatch-e2e-camera-'));
  const stream = join(dir, 'shelf.mjpeg');
  copyFileSync(shelfPhoto().path, stream);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${stream}`,
    ],
  });
});
test.afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('live camera: full-resolution viewfinder, photo taken at that size, counted', async ({ baseURL }) => {
  const { defaultBrowserType: _, ...pixel } = devices['Pixel 7'];
  const context = await browser.newContext({ ...pixel, baseURL: baseURL!, permissions: ['camera'] });
  await useSettings(context, { engine: 'server' });
  const page = await context.newPage();
  await page.goto('/');
  const open = page.getByRole('button', { name: 'Take photo' });
  await open.click();
  const camera = page.getByTestId('camera');
  await expect(camera).toBeVisible();
  await expect(camera).toHaveAttribute('data-video-size', /^\d+x\d+$/);
  const [w, h] = (await camera.getAttribute('data-video-size'))!.split('x').map(Number);
  const track = await page.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>('#camera-video')!;
    const s = (v.srcObject as MediaStream).getVideoTracks()[0]!.getSettings();
    return [s.width, s.height];
  });
  expect([w, h]).toEqual(track);
  expect(w! * h!).toBeGreaterThan(640 * 480);
  await expect(camera).toHaveAttribute('data-method', 'takePhoto');
  // The viewfinder fills the screen.
  const box = await camera.boundingBox();
  expect(box).toMatchObject({
    x: 0,
    y: 0,
    width: page.viewportSize()!.width,
    height: page.viewportSize()!.height,
  });
  await snap(page, '01b-camera');
  await page.getByRole('button', { name: 'Take the photo' }).click();
  await expect(camera).toBeHidden();
  const main = page.locator('main');
  await expect
    .poll(
      async () => {
        const use = page.getByRole('button', { name: 'Use anyway' });
        if (await use.isVisible()) await use.click();
        return main.getAttribute('data-step');
      },
      { timeout: 60_000 },
    )
    .toBe('review');
  expect(Number(await page.getByTestId('count').textContent())).toBeGreaterThan(0);
  const photo = await page
    .locator('#photo')
    .evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
  expect(photo).toEqual([w, h]);
  // The camera is released when the viewfinder closes.
  expect(
    await page.evaluate(() => document.querySelector<HTMLVideoElement>('#camera-video')!.srcObject),
  ).toBeNull();
  await context.close();
});
