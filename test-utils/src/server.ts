import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { poll } from './poll.js';
import { freePort } from './ports.js';
import { Service } from './service.js';

/** The repository root (this file is `test-utils/src/server.ts` or `test-utils/dist/server.js`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built server's entry point. */
export const SERVER_ENTRY = join(REPO_ROOT, 'server', 'dist', 'server.js');

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Names the process in errors. @default 'server' */
  name?: string;
  /** The environment, complete (nothing is inherited); `HOST` and `PORT` are set here. */
  env: NodeJS.ProcessEnv;
  /** @default process.execPath */
  command?: string;
  /** @default [SERVER_ENTRY] */
  args?: readonly string[];
  /** @default REPO_ROOT */
  cwd?: string;
  /** Longest wait for `/health/ready`, in ms. @default 90000 */
  readyTimeoutMs?: number;
}

/** A server started by {@link startServer}. */
export interface RunningServer {
  baseURL: string;
  port: number;
  service: Service;
  /** Everything the server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Waits while the server's own tests rebuild server/dist (they hold `server/dist.build-lock` while
 * tsc writes it, see server/test/helpers/build.ts), so no half-written build is started.
 */
export async function waitForServerBuild(): Promise<void> {
  const lock = join(REPO_ROOT, 'server', 'dist.build-lock');
  await poll('server/dist.build-lock to be released', async () => (existsSync(lock) ? undefined : true), {
    timeoutMs: 180_000,
  });
}

/**
 * Starts the real server as a child process on a free loopback port and resolves once
 * `/health/ready` answers 200. If it exits or is not ready in time, it is stopped and the error
 * carries its output.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { name = 'server', command = process.execPath, args = [SERVER_ENTRY], cwd = REPO_ROOT } = options;
  if (command === process.execPath && args[0] === SERVER_ENTRY) {
    await waitForServerBuild();
    if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: build first (pnpm build)`);
  }
  const port = await freePort();
  const service = new Service(name, command, args, {
    cwd,
    env: { ...options.env, HOST: '127.0.0.1', PORT: String(port) },
  });
  const baseURL = `http://127.0.0.1:${port}`;
  try {
    await poll(
      `${name} ${baseURL}/health/ready`,
      async () => (await fetch(`${baseURL}/health/ready`)).ok || undefined,
      { timeoutMs: options.readyTimeoutMs ?? 90_000, intervalMs: 250, check: () => service.assertRunning() },
    );
  } catch (err) {
    await service.stop(1_000);
    throw new Error(`${(err as Error).message}\n${service.output.slice(-3_000)}`);
  }
  return { baseURL, port, service, output: () => service.output, stop: () => service.stop() };
}
