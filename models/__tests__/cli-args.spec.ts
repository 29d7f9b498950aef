import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS_DIR } from './python.js';

const run = promisify(execFile);
const REPO = resolve(MODELS_DIR, '..');

/** The tools run from dist/: `pnpm test` builds first; this covers a bare `vitest run`. */
beforeAll(() => {
  const newest = Math.max(
    ...readdirSync(join(MODELS_DIR, 'src')).map((f) => statSync(join(MODELS_DIR, 'src', f)).mtimeMs),
  );
  const built = join(MODELS_DIR, 'dist/cli-args.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newest)
    execFileSync(
      process.execPath,
      [resolve(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: MODELS_DIR,
      },
    );
}, 120_000);

async function refused(tool: string, args: string[]): Promise<string> {
  const err = await run(process.execPath, [join(MODELS_DIR, 'dist', tool), ...args], { cwd: REPO }).then(
    () => undefined,
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  expect(err, args.join(' ')).toMatchObject({ code: 2, stdout: '' });
  return err!.stderr;
}

describe('model tools refuse a command line they do not take (status 2, the usage, before any model runs)', () => {
  it('model:rows', async () => {
    expect(await refused('rows-cli.js', ['--bogus'])).toMatch(
      /^Unknown option '--bogus'\n\nUsage: pnpm model:rows/,
    );
    expect(await refused('rows-cli.js', ['--conf', '0x1'])).toMatch(
      /^--conf must be a decimal number, got "0x1"\n/,
    );
    expect(await refused('rows-cli.js', ['--iou', ''])).toMatch(/^--iou must be a decimal number, got ""\n/);
  });

  it('model:eval', async () => {
    expect(await refused('eval-cli.js', [])).toMatch(
      /^--models is required\n\nUsage: node models\/dist\/eval-cli\.js/,
    );
    const bad = await refused('eval-cli.js', ['--models', 'missing.onnx', '--conf', '0.3,abc']);
    expect(bad).toMatch(/^--conf must be a decimal number, got "abc"\n/);
  });

  it('pseudo-label-cli', async () => {
    expect(await refused('pseudo-label-cli.js', ['--photos', 'x'])).toMatch(
      /^--model, --photos and --out are required\n\nUsage: node models\/dist\/pseudo-label-cli\.js/,
    );
    const bad = await refused('pseudo-label-cli.js', [
      '--model',
      'm',
      '--photos',
      'p',
      '--out',
      'o',
      '--long',
      '8OO',
    ]);
    expect(bad).toMatch(/^--long must be a decimal number, got "8OO"\n/);
  });

  it('--help prints the usage', async () => {
    const { stdout } = await run(process.execPath, [join(MODELS_DIR, 'dist/rows-cli.js'), '--help'], {
      cwd: REPO,
    });
    expect(stdout).toMatch(/^Usage: pnpm model:rows/);
  });
});
