/**
 * Starts the real server (built `server/dist/server.js`) serving the production PWA build
 * (`web/dist`) on a free loopback port with a throw-away PGlite directory, and stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_DIR } from './paths.ts';

export interface RunningServer {
  baseURL: string;
  stop(): Promise<void>;
  /** Everything the server printed (for failure messages). */
  output(): string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server not ready at ${url} after ${timeoutMs} ms (${last})`);
}

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const entry = join(REPO_DIR, 'server', 'dist', 'server.js');
  const web = join(REPO_DIR, 'web', 'dist', 'index.html');
  for (const f of [entry, web]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run the build first (pnpm build)`);
  }
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-e2e-pglite-'));
  let out = '';
  const child = spawn(process.execPath, [entry], {
    cwd: REPO_DIR,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      WEB_ROOT: join(REPO_DIR, 'web', 'dist'),
      WORKERS: '1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '100000',
      API_KEYS: '',
      // The tests use the development key, which the server accepts only in development mode.
      DEV_MODE: 'true',
      SHUTDOWN_DRAIN_DELAY_MS: '0',
      DATABASE_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const baseURL = `http://127.0.0.1:${port}`;
  try {
    await waitReady(`${baseURL}/health/ready`, child, 90_000);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${out.slice(-3000)}`);
  }
  return {
    baseURL,
    output: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
