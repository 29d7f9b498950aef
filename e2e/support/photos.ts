/**
 * Photos for the tests: the fixture shelf, a real shelf photo from `../shared/data` when present,
 * and copies made in the browser (blurred, darkened, rotated, zoomed out, enlarged, EXIF-rotated)
 * with a canvas, so that they are real JPEGs as a phone would produce them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { needSharedData } from '@shelfwatch/test-utils';
import { fixturePath } from './app.ts';
import { REPO_DIR } from './paths.ts';

/** A real SKU-110K shelf photo (2448x3264) when the shared data is there. */
export const REAL_PHOTO = join(
  REPO_DIR,
  '..',
  'shared',
  'data',
  'sku110k-shelf-sample',
  'images',
  'train_2941.jpg',
);

/** The real photo, else the fixture (with a note saying so). */
export function shelfPhoto(): { path: string; real: boolean } {
  // SHELFWATCH_E2E_NO_SHARED_DATA=1 asks for the fixture on purpose; a photo that is missing is a
  // prerequisite (the fixture stands in locally, CI=true fails).
  if (process.env.SHELFWATCH_E2E_NO_SHARED_DATA) return { path: fixturePath(), real: false };
  if (needSharedData(REAL_PHOTO)) return { path: REAL_PHOTO, real: true };
  return { path: fixturePath(), real: false };
}

export interface Derive {
  /** Output size; default the source's (upright) size. */
  width?: number;
  height?: number;
  /** CSS filter on the drawing, e.g. `blur(8px)`, `brightness(0.3)`. */
  filter?: string;
  /** Rotation in degrees around the centre (corners filled grey). */
  rotate?: number;
  /** Draw the source this many times smaller, tiled (a shelf photographed from far away). */
  zoomOut?: number;
  /** Blur in "pixels at 640 px long side" (scaled to the output size). */
  blur640?: number;
  /** Store the pixels rotated -90° and add EXIF orientation 6, as phone cameras do. */
  exifRotate?: boolean;
  quality?: number;
}

/** A JPEG derived from `source` in the page's canvas; returns its bytes. */
export async function derivePhoto(page: Page, source: string, d: Derive): Promise<Buffer> {
  const r = await derive(page, source, d, false);
  return Buffer.from(r.b64, 'base64');
}

/**
 * Derives a JPEG in the page and chooses it in the gallery input there (no copy through the test
 * runner: for very large photos). Returns its SHA-256 and size.
 */
export async function chooseDerived(
  page: Page,
  source: string,
  d: Derive,
): Promise<{ sha256: string; bytes: number }> {
  const r = await derive(page, source, d, true);
  return { sha256: r.sha256, bytes: r.bytes };
}

async function derive(page: Page, source: string, d: Derive, choose: boolean) {
  return page.evaluate(
    async ({ src, d, choose }) => {
      const bytes = Uint8Array.from(atob(src), (c) => c.charCodeAt(0));
      const img = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }), {
        imageOrientation: 'from-image',
      });
      const w = d.width ?? img.width;
      const h = d.height ?? img.height;
      // EXIF orientation 6: stored pixels are the upright image turned 90° counter-clockwise.
      const c = new OffscreenCanvas(d.exifRotate ? h : w, d.exifRotate ? w : h);
      const g = c.getContext('2d')!;
      g.fillStyle = 'rgb(128,128,128)';
      g.fillRect(0, 0, c.width, c.height);
      if (d.exifRotate) {
        g.translate(0, c.height);
        g.rotate(-Math.PI / 2);
      }
      const filters = [d.filter ?? '', d.blur640 ? `blur(${(d.blur640 * Math.max(w, h)) / 640}px)` : '']
        .filter(Boolean)
        .join(' ');
      if (filters) g.filter = filters;
      if (d.rotate) {
        g.translate(w / 2, h / 2);
        g.rotate((d.rotate * Math.PI) / 180);
        g.translate(-w / 2, -h / 2);
      }
      if (d.zoomOut) {
        const tw = w / d.zoomOut;
        const th = h / d.zoomOut;
        for (let y = 0; y < h; y += th) for (let x = 0; x < w; x += tw) g.drawImage(img, x, y, tw, th);
      } else g.drawImage(img, 0, 0, w, h);
      let out = new Uint8Array(
        await (await c.convertToBlob({ type: 'image/jpeg', quality: d.quality ?? 0.9 })).arrayBuffer(),
      );
      if (d.exifRotate) {
        // APP1 "Exif\0\0" + big-endian TIFF with one IFD0 entry: Orientation (0x0112) = 6.
        const app1 = [
          0xff, 0xe1, 0, 34, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
          3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
        ];
        const next = new Uint8Array(out.length + app1.length);
        next.set(out.subarray(0, 2));
        next.set(app1, 2);
        next.set(out.subarray(2), 2 + app1.length);
        out = next;
      }
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', out));
      const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      if (choose) {
        const input = document.querySelector<HTMLInputElement>('[data-testid=file-input]')!;
        const dt = new DataTransfer();
        dt.items.add(new File([out], 'photo.jpg', { type: 'image/jpeg' }));
        input.files = dt.files;
        input.dispatchEvent(new Event('change'));
        return { b64: '', sha256, bytes: out.length };
      }
      let s = '';
      for (let i = 0; i < out.length; i += 0x8000) s += String.fromCharCode(...out.subarray(i, i + 0x8000));
      return { b64: btoa(s), sha256, bytes: out.length };
    },
    { src: readFileSync(source).toString('base64'), d, choose },
  );
}

/** Puts files into the gallery input the way a person choosing them does, all in the same task. */
export async function chooseFiles(
  page: Page,
  files: { name: string; buffer: Buffer; type?: string }[],
): Promise<void> {
  await page.evaluate(
    (list) => {
      const input = document.querySelector<HTMLInputElement>('[data-testid=file-input]')!;
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], f.name, { type: f.type }));
        input.files = dt.files;
        input.dispatchEvent(new Event('change'));
      }
    },
    files.map((f) => ({ name: f.name, type: f.type ?? 'image/jpeg', b64: f.buffer.toString('base64') })),
  );
}
