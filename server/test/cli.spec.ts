import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    const total = Number(/(\d+) products? in (\d+) shelf rows?/.exec(stdout)?.[1]);
    const rows = [...stdout.matchAll(/row \d+: (\d+) products?/g)].map((m) => Number(m[1]));
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

  it('ends quietly when the reader has closed the pipe (| head)', async () => {
    // `true` exits without reading: the CLI's output, written after the model loads, meets a closed pipe.
    const { stderr } = await run('/bin/sh', [
      '-c',
      `"${process.execPath}" "${CLI}" detect "${photo}" | true`,
    ]);
    expect(stderr).toBe('');
  });

  it('refuses a photo that is a folder or larger than an upload may be, before loading the model', async () => {
    await expect(run(process.execPath, [CLI, 'detect', dir])).rejects.toMatchObject({
      code: 1,
      stderr: `shelfwatch: ${dir}: not a file\n`,
    });
    const env = { ...process.env, MAX_BODY_BYTES: '1024' };
    await expect(run(process.execPath, [CLI, 'detect', photo], { env })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /shelf\.jpg: \d+ bytes, more than MAX_BODY_BYTES \(1024\) allows an upload/,
      ),
    });
  });

  it('answers a command line it does not take with status 2 and what was wrong, writing nothing', async () => {
    const refused = async (args: string[], message: string | RegExp) => {
      const err = await run(process.execPath, [CLI, ...args]).then(
        () => undefined,
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      expect(err, args.join(' ')).toMatchObject({ code: 2, stdout: '' });
      expect(err!.stderr).toMatch(message);
    };
    await refused(['detect', photo, '--bogus'], /^shelfwatch: Unknown option '--bogus'\n\nUsage:/);
    await refused(['detect', photo, '--conf'], /Option '--conf <value>' argument missing/);
    await refused(['detect', photo, '--json=yes'], /Option '--json' does not take an argument/);
    // Number() would read these as 1, 0, 2 and 0.5: only decimal numbers are numbers, as in the API.
    for (const conf of ['0x1', '', ' 2 ', '.5.'])
      await refused(
        ['detect', photo, '--conf', conf],
        `--conf must be a decimal number, got ${JSON.stringify(conf)}`,
      );
    await refused(['detect', photo, '--conf', '2'], 'conf must be in [0, 1], got 2');
    await refused(['detect', photo, '--max-detections', '2.5'], /maxDetections must be an integer/);
    const gif = join(dir, 'annotated.gif');
    await refused(
      ['detect', photo, '--out', gif],
      `--out must end in .png, .jpg, .jpeg or .webp, got ${JSON.stringify(gif)}`,
    );
    expect(existsSync(gif)).toBe(false);
    // `seed`'s refusals: test/routes/dashboard-page.spec.ts.
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
