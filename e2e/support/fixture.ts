/**
 * The shelf photo the e2e tests scan. Preferred: one procedural shelf from the model pipeline's own
 * renderer (`models/shelfwatch_train/render.py`, split `fixture`, seeded, 960 px so the phone and the
 * server both resample); it needs Debian's python3 with numpy and PIL. Otherwise a shelf is drawn with
 * a canvas in Chromium (fewer detections, still a real comparison), except under CI=true, where a
 * missing renderer is a failure.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { prerequisite } from '@shelfwatch/test-utils';
import { REPO_DIR } from './paths.ts';

const PYTHON = process.env.SHELFWATCH_PYTHON ?? '/usr/bin/python3';

function renderWithPipeline(outDir: string): string | undefined {
  const r = spawnSync(
    PYTHON,
    [
      '-m',
      'shelfwatch_train.render',
      '--split',
      'fixture',
      '--count',
      '2',
      '--workers',
      '1',
      '--size',
      '960',
      '--out',
      outDir,
    ],
    {
      cwd: join(REPO_DIR, 'models'),
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    },
  );
  const file = join(outDir, 'fixture', '00001.jpg');
  if (r.status !== 0 || !existsSync(file)) {
    // Locally a canvas-drawn shelf stands in; under CI=true the missing renderer fails the run.
    prerequisite(
      `the model pipeline renderer (${PYTHON} -m shelfwatch_train.render)`,
      false,
      `${(r.stderr || r.error?.message || '').trim().split('\n').pop()}; apt-get install -y python3-numpy python3-pil`,
    );
    return undefined;
  }
  return file;
}

async function drawInBrowser(browser: Browser, file: string): Promise<string> {
  const page = await browser.newPage();
  const dataUrl = await page.evaluate(() => {
    const w = 1200;
    const h = 900;
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const g = c.getContext('2d')!;
    let seed = 7;
    const rnd = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    g.fillStyle = '#d9cbb0';
    g.fillRect(0, 0, w, h);
    for (let row = 0; row < 5; row++) {
      const floor = 160 + row * 170;
      g.fillStyle = '#8a8f96';
      g.fillRect(0, floor, w, 14);
      let x = 10 + rnd() * 20;
      while (x < w - 60) {
        const pw = 50 + rnd() * 50;
        const ph = 90 + rnd() * 50;
        if (rnd() < 0.08) {
          x += pw * 2;
          continue;
        }
        const hue = Math.floor(rnd() * 360);
        const grad = g.createLinearGradient(x, floor - ph, x + pw, floor);
        grad.addColorStop(0, `hsl(${hue} 70% 55%)`);
        grad.addColorStop(1, `hsl(${hue} 70% 35%)`);
        g.fillStyle = grad;
        g.fillRect(x, floor - ph, pw, ph);
        g.fillStyle = '#fff';
        g.fillRect(x + pw * 0.15, floor - ph * 0.7, pw * 0.7, ph * 0.25);
        g.strokeStyle = '#222';
        g.strokeRect(x, floor - ph, pw, ph);
        x += pw + 4 + rnd() * 8;
      }
    }
    return c.toDataURL('image/jpeg', 0.9);
  });
  await page.close();
  writeFileSync(file, Buffer.from(dataUrl.split(',')[1]!, 'base64'));
  return file;
}

/** Writes the fixture photo into a temp folder and returns its path. */
export async function makeShelfFixture(browser: Browser): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'shelfwatch-e2e-fixture-'));
  const target = join(dir, 'shelf.jpg');
  const rendered = process.env.SHELFWATCH_E2E_DRAWN_FIXTURE ? undefined : renderWithPipeline(dir);
  if (rendered) {
    copyFileSync(rendered, target);
    return target;
  }
  return drawInBrowser(browser, target);
}
