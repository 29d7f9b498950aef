import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Static, Type } from '@sinclair/typebox';
import { envSchema } from 'env-schema';

/** Repository root: this file is `server/src/config.ts` or `server/dist/config.js`. */
export const APP_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The one environment schema of the server (STYLE.md 3). Every default works on a laptop:
 * `node server/dist/server.js` with nothing set serves the PWA build, the shipped model and an
 * embedded PGlite database. An empty string means "use the computed default" for paths.
 */
export const EnvSchema = Type.Object({
  /** Interface to listen on. @default '0.0.0.0' */
  HOST: Type.String({ default: '0.0.0.0' }),
  /** TCP port. @default 8080 */
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  /** ONNX model file. @default the `int8` file named by `models/manifest.json` */
  MODEL_PATH: Type.String({ default: '' }),
  /** Directory of the PWA build served at `/`. @default `web/dist` when it exists */
  WEB_ROOT: Type.String({ default: '' }),
  /** PostgreSQL connection string; unset or empty = embedded PGlite in DATA_DIR. */
  DATABASE_URL: Type.String({ default: '' }),
  /** PGlite data directory (used only without DATABASE_URL). @default `.data/pglite` under the repo root */
  DATA_DIR: Type.String({ default: '' }),
  /**
   * API keys as a JSON list of `{ "name", "sha256", "stores" }` (sha256 = hex digest of the key,
   * stores = allowed store ids, `"*"` = all). Unset = the development key `dev-key` for `demo-store`.
   */
  API_KEYS: Type.String({ default: '' }),
  /** Inference worker threads; 0 = available CPUs / INTRA_OP_THREADS (at least 1). @default 0 */
  WORKERS: Type.Integer({ default: 0, minimum: 0, maximum: 256 }),
  /** onnxruntime intra-op threads per worker. @default 1 */
  INTRA_OP_THREADS: Type.Integer({ default: 1, minimum: 1, maximum: 256 }),
  /** Inference requests allowed to wait for a worker; beyond it 503 + Retry-After. @default 16 */
  QUEUE_SIZE: Type.Integer({ default: 16, minimum: 0 }),
  /** Largest accepted request body / uploaded file, in bytes. @default 20 MiB */
  MAX_BODY_BYTES: Type.Integer({ default: 20 * 1024 * 1024, minimum: 1024 }),
  /** Largest accepted image, in decoded pixels (width x height). @default 50 000 000 */
  MAX_PIXELS: Type.Integer({ default: 50_000_000, minimum: 1 }),
  /** Requests per minute per client IP on the inference routes; 0 = no limit. @default 120 */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 120, minimum: 0 }),
  /** pino log level. @default 'info' */
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** Trust `X-Forwarded-For` from a proxy (ingress) for client IPs. @default false */
  TRUST_PROXY: Type.Boolean({ default: false }),
  /** Longest wait for in-flight requests on SIGTERM before exiting anyway, in ms. @default 30000 */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 0 }),
});

export type Env = Static<typeof EnvSchema>;

/** Validated settings with defaults resolved to concrete values. */
export interface Config extends Env {
  /** Absolute path of the manifest (may not exist when MODEL_PATH is set). */
  MANIFEST_PATH: string;
  /** Absolute WEB_ROOT, or null when there is no PWA build to serve. */
  WEB_ROOT_RESOLVED: string | null;
  /** Absolute PGlite directory. */
  DATA_DIR_RESOLVED: string;
  /** WORKERS after `0 = auto`. */
  WORKERS_RESOLVED: number;
}

/**
 * Validates an environment (default `process.env`) and resolves the computed defaults.
 * Relative paths given by the user resolve against the working directory; defaults against the repo root.
 * @throws {Error} listing every invalid variable
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // env-schema ignores unknown keys and coerces strings to the declared types.
  const data = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema<Env>({ schema: EnvSchema, data, dotenv: false });
  const webDefault = resolve(APP_ROOT, 'web/dist');
  const webRoot = parsed.WEB_ROOT ? resolve(parsed.WEB_ROOT) : existsSync(webDefault) ? webDefault : null;
  const workers =
    parsed.WORKERS > 0
      ? parsed.WORKERS
      : Math.max(1, Math.floor(availableParallelism() / parsed.INTRA_OP_THREADS));
  return {
    ...parsed,
    MANIFEST_PATH: resolve(APP_ROOT, 'models/manifest.json'),
    WEB_ROOT_RESOLVED: webRoot,
    DATA_DIR_RESOLVED: parsed.DATA_DIR ? resolve(parsed.DATA_DIR) : resolve(APP_ROOT, '.data/pglite'),
    WORKERS_RESOLVED: workers,
  };
}
