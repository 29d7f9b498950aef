import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, SERVER_DIR } from './helpers/build.js';
import { shelfJpeg } from './helpers/images.js';

const run = promisify(execFile);
const CLI = resolve(SERVER_DIR, 'dist/cli.js');
let dir: string;
let photo: string;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'shelfwatch-cli-'));
  photo = join(dir, 'shelf.jpg');
  writeFileSync(photo, await shelfJpeg(1200, 900));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shelfwatch detect', () => {
  it('prints the count per row and writes an annotated image of the same size', async () => {
    const out = join(dir, 'annotated.png');
    const { stdout } = await run(process.execPath, [CLI, 'detect', photo, '--out', out]);
    expect(stdout).toMatch(/1200x900, model \S+ \S+/);
    const total = Number(/(\d+) products in (\d+) shelf rows/.exec(stdout)?.[1]);
    const rows = [...stdout.matchAll(/row \d+: (\d+) products/g)].map((m) => Number(m[1]));
    expect(total).toBeGreaterThan(10);
    expect(rows.reduce((a, b) => a + b, 0)).toBe(total);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 1200, 900]);
  });

  it('--json prints the /predict result', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'detect', photo, '--json', '--conf', '0.5']);
    const result = JSON.parse(stdout);
    expect(result.image).toEqual({ width: 1200, height: 900 });
    expect(result.count).toBe(result.detections.length);
    expect(result.detections.every((d: { score: number }) => d.score >= 0.5)).toBe(true);
  });

  it('fails with a message and a non-zero status on a missing or broken file', async () => {
    await expect(run(process.execPath, [CLI, 'detect', join(dir, 'missing.jpg')])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no such file'),
    });
    const broken = join(dir, 'broken.jpg');
    writeFileSync(broken, 'not an image');
    await expect(run(process.execPath, [CLI, 'detect', broken])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('UNSUPPORTED_MEDIA_TYPE'),
    });
    writeFileSync(broken, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 0x41)]));
    await expect(run(process.execPath, [CLI, 'detect', broken])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('UNDECODABLE_IMAGE'),
    });
    await expect(run(process.execPath, [CLI, 'frobnicate'])).rejects.toMatchObject({ code: 2 });
  });
});

describe('shelfwatch worker', () => {
  it('refuses to start without DATABASE_URL, or with arguments, saying why', async () => {
    const env = { ...process.env, DATABASE_URL: '' };
    await expect(run(process.execPath, [CLI, 'worker'], { env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('worker needs DATABASE_URL'),
    });
    await expect(run(process.execPath, [CLI, 'worker', '--now'], { env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('worker takes no arguments'),
    });
  });
});
