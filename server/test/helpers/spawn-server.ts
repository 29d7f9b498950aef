import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_API_KEYS } from './app.js';
import { ensureBuilt, SERVER_DIR } from './build.js';
import { waitFor } from './wait.js';

/** The built server (`dist/server.js`) as a child process, as `pnpm start` and the image run it. */
export interface SpawnedServer {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` once it listens. */
  base: string;
  /** Everything it printed so far. */
  logs(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGKILL if still running, then removes its data directory. */
  kill(): Promise<void>;
}

/** Laptop-small settings of a spawned server: one worker, no rate limits, test keys, fresh PGlite. */
function baseEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    WORKERS: '1',
    INTRA_OP_THREADS: '1',
    RATE_LIMIT_PER_MINUTE: '0',
    KEY_RATE_LIMIT_PER_MINUTE: '0',
    DATA_DIR: join(dataDir, 'pglite'),
    WEB_ROOT: join(dataDir, 'none'),
    API_KEYS: TEST_API_KEYS,
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    // The allocator settings the chart and the image set (docs/SECURITY.md): glibc returns freed
    // decode buffers instead of keeping them in per-thread arenas.
    MALLOC_ARENA_MAX: '2',
    MALLOC_TRIM_THRESHOLD_: '131072',
  };
  for (const k of ['DATABASE_URL', 'DEV_MODE', 'NODE_ENV', 'TRUST_PROXY']) delete env[k];
  return env;
}

/**
 * Starts the built server (or, with `worker`, `shelfwatch worker`: audit jobs only, health and
 * metrics on its port) with `env` over the test defaults (a value `undefined` removes a variable).
 * With `waitReady`, resolves once `/health/ready` is 200; otherwise once it listens or exits (for
 * start-up refusals, read `exited` and `logs()`).
 */
export async function spawnServer(
  env: Record<string, string | undefined> = {},
  { waitReady = true, worker = false }: { waitReady?: boolean; worker?: boolean } = {},
): Promise<SpawnedServer> {
  ensureBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'shelfwatch-spawn-'));
  const merged = { ...baseEnv(dataDir), ...env };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const entry = worker ? ['dist/cli.js', 'worker'] : ['dist/server.js'];
  const child = spawn(process.execPath, [resolve(SERVER_DIR, entry[0]!), ...entry.slice(1)], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const base =
    (await waitFor(
      () =>
        /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? (gone ? 'exited' : undefined),
      `the server to listen; logs:\n${output}`,
      90_000,
    )) ?? '';
  if (base === 'exited' || !waitReady) return { child, base, logs: () => output, exited, kill };
  await waitFor(
    () =>
      fetch(`${base}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      ),
    `readiness; logs:\n${output}`,
    60_000,
    200,
  );
  return { child, base, logs: () => output, exited, kill };
}
