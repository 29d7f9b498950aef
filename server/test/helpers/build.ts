import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  for (const pkg of ['shared', 'server']) {
    const dir = resolve(REPO_ROOT, pkg);
    const marker = resolve(dir, pkg === 'shared' ? 'dist/index.js' : 'dist/workers/inference-worker.js');
    if (existsSync(marker) && statSync(marker).mtimeMs >= newestMtime(resolve(dir, 'src'))) continue;
    execFileSync(process.execPath, [tsc, '-p', resolve(dir, 'tsconfig.json')], { stdio: 'inherit' });
  }
}
