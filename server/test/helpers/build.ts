import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SERVER_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_ROOT = resolve(SERVER_DIR, '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The inference worker and the spawned server run as plain JavaScript from `dist/`, so tests need
 * an up-to-date build of shared and server. `pnpm test` builds first; this covers a bare `vitest run`.
 */
export function ensureBuilt(): void {
  const tsc = resolve(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const stale = (pkg: string) => {
    const dir = resolve(REPO_ROOT, pkg);
    const marker = resolve(dir, pkg === 'shared' ? 'dist/index.js' : 'dist/workers/inference-worker.js');
    return !existsSync(marker) || statSync(marker).mtimeMs < newestMtime(resolve(dir, 'src'));
  };
  if (!stale('shared') && !stale('server')) return;
  // Test files run in parallel processes: one builds, the others wait for it.
  const lock = resolve(SERVER_DIR, 'dist.build-lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) rmSync(lock, { recursive: true, force: true });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    for (const pkg of ['shared', 'server']) {
      if (stale(pkg))
        execFileSync(process.execPath, [tsc, '-p', resolve(REPO_ROOT, pkg, 'tsconfig.json')], {
          stdio: 'inherit',
        });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
