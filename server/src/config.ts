import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PIXELS } from '@shelfwatch/shared';
import { type Static, Type } from '@sinclair/typebox';
import { envSchema } from 'env-schema';

/** Repository root: this file is `server/src/config.ts` or `server/dist/config.js`. */
export const APP_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The one environment schema of the server (docs/CONVENTIONS.md 3). Every default works on a laptop:
 * `node server/dist/server.js` with keys (`API_KEYS`, or `DEV_MODE=true` as `pnpm start` sets it) and
 * nothing else serves the PWA build, the shipped model and an embedded PGlite database. An empty
 * string means "use the computed default" for paths.
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
   * stores = allowed store ids, `"*"` = all). Required unless DEV_MODE is on; with DEV_MODE and no
   * keys, the public development key `dev-key` for `demo-store` is accepted.
   */
  API_KEYS: Type.String({ default: '' }),
  /**
   * Explicit development mode (`pnpm start` sets it): allows the public development key when
   * API_KEYS is unset. Never set in production; refused together with `NODE_ENV=production`.
   * @default false
   */
  DEV_MODE: Type.Boolean({ default: false }),
  /** Inference worker threads; 0 = available CPUs / INTRA_OP_THREADS (at least 1). @default 0 */
  WORKERS: Type.Integer({ default: 0, minimum: 0, maximum: 256 }),
  /** onnxruntime intra-op threads per worker. @default 1 */
  INTRA_OP_THREADS: Type.Integer({ default: 1, minimum: 1, maximum: 256 }),
  /**
   * Inference requests allowed to wait for a worker, counted from before their body is read;
   * beyond it 503 + Retry-After. @default 16
   */
  QUEUE_SIZE: Type.Integer({ default: 16, minimum: 0 }),
  /** Largest accepted image body / uploaded file, in bytes. @default 16 MiB */
  MAX_BODY_BYTES: Type.Integer({ default: DEFAULT_MAX_BODY_BYTES, minimum: 1024 }),
  /**
   * Largest accepted image, in pixels (width x height). Decoding costs up to ~11 bytes per pixel
   * (docs/SECURITY.md), so this bounds each worker's memory. @default 16 777 216 (2^24, 4096 x 4096)
   */
  MAX_PIXELS: Type.Integer({ default: DEFAULT_MAX_PIXELS, minimum: 1 }),
  /** Largest accepted long side / short side of an image. @default 20 */
  MAX_ASPECT_RATIO: Type.Number({ default: 20, minimum: 1 }),
  /** Deadline of one image decode (sharp `timeout`), in whole seconds. @default 2 */
  DECODE_TIMEOUT_SECONDS: Type.Integer({ default: 2, minimum: 1, maximum: 60 }),
  /**
   * Longest an admitted image waits for its inference (queue wait + run), in ms; past it the
   * request gets 503 INFERENCE_TIMEOUT and the queued task is skipped. @default 10000
   */
  TASK_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 1 }),
  /** `POST /predict` requests per minute per client IP; 0 = no limit. @default 120 */
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 120, minimum: 0 }),
  /** Requests per minute per API key on the authenticated routes; 0 = no limit. @default 120 */
  KEY_RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 120, minimum: 0 }),
  /**
   * Failed authentications per minute per client IP; past it every authenticated request from that
   * IP gets 429 AUTH_THROTTLED until the minute is over. 0 = no throttle. @default 10
   */
  AUTH_FAILURES_PER_MINUTE: Type.Integer({ default: 10, minimum: 0 }),
  /** pino log level. @default 'info' */
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /**
   * Which peers may set `X-Forwarded-For` (client IPs for rate limits): empty or `false` = none;
   * a hop count (`1` = the peer is the one proxy, e.g. the ingress controller); or a comma-separated
   * list of proxy addresses / CIDRs (`10.0.0.0/8,127.0.0.1`, or `loopback`, `linklocal`,
   * `uniquelocal`). `true` (trust every peer) is refused: any client could pick its own IP.
   * @default ''
   */
  TRUST_PROXY: Type.String({ default: '' }),
  /**
   * Longest wait for complete request headers, in ms; a new connection must deliver its first
   * request's headers within it too (one that never sends a byte is closed). @default 10000
   */
  HEADERS_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /** Longest wait for a whole request (headers and body upload), in ms. @default 60000 */
  REQUEST_TIMEOUT_MS: Type.Integer({ default: 60_000, minimum: 100 }),
  /**
   * Idle keep-alive connections close after this, in ms. Longer than the usual load-balancer idle
   * timeout (60 s), so the proxy closes first, never us under a request it is sending. @default 65000
   */
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 65_000, minimum: 100 }),
  /**
   * On SIGTERM: readiness turns 503 at once, requests are still served for this long so that load
   * balancers stop sending, then the listener closes, in ms. @default 5000
   */
  SHUTDOWN_DRAIN_DELAY_MS: Type.Integer({ default: 5_000, minimum: 0 }),
  /** Longest wait for in-flight requests after the drain delay before exiting anyway, in ms. @default 30000 */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 0 }),

  // Asynchronous audits (POST /audits with `Prefer: respond-async`): a durable pg-boss queue on the
  // audit database, photos kept as evidence.
  /**
   * Whether this API process also runs audit jobs (the embedded default and small installs); set
   * false when `shelfwatch worker` processes run them. @default true
   */
  JOB_CONSUMERS: Type.Boolean({ default: true }),
  /** Audit jobs one process runs at a time; 0 = WORKERS. @default 0 */
  JOB_CONCURRENCY: Type.Integer({ default: 0, minimum: 0, maximum: 256 }),
  /**
   * Attempts of a job that fails for a transient reason (503: queue full, timeout, worker died, database
   * down) before it is dead-lettered and reads as `failed`. @default 4
   */
  JOB_MAX_ATTEMPTS: Type.Integer({ default: 4, minimum: 1, maximum: 20 }),
  /** Delay before the first retry, in s; doubled (with jitter) each attempt, at most 60 s. @default 2 */
  JOB_RETRY_DELAY_SECONDS: Type.Integer({ default: 2, minimum: 1, maximum: 3_600 }),
  /**
   * A running job's heartbeat interval, in s: a job whose process died (SIGKILL, node lost) is retried
   * once its heartbeat is this old and the supervisor has looked (JOB_SUPERVISE_SECONDS). @default 10
   */
  JOB_HEARTBEAT_SECONDS: Type.Integer({ default: 10, minimum: 10, maximum: 600 }),
  /** How often pg-boss's supervisor looks for jobs of dead processes and expired jobs, in s. @default 10 */
  JOB_SUPERVISE_SECONDS: Type.Integer({ default: 10, minimum: 1, maximum: 600 }),
  /**
   * Jobs queued or running beyond which `POST /audits` with `Prefer: respond-async` answers 503
   * QUEUE_FULL (each holds a photo in the database). @default 10000
   */
  JOB_QUEUE_LIMIT: Type.Integer({ default: 10_000, minimum: 1 }),
  /**
   * Asynchronous uploads being received and stored at once, counted before their body is read; each
   * can hold a MAX_BODY_BYTES body in memory. Beyond it 503 QUEUE_FULL + Retry-After. @default 32
   */
  ASYNC_UPLOAD_SLOTS: Type.Integer({ default: 32, minimum: 1, maximum: 1_024 }),
  /** PostgreSQL schema of pg-boss's tables (PGlite too). @default 'pgboss' */
  JOB_SCHEMA: Type.String({ default: 'pgboss', pattern: '^[a-z_][a-z0-9_]{0,62}$' }),
  /** Where audit photos are kept: `postgres` (a bytea table in the audit database) or `s3`. @default 'postgres' */
  PHOTO_STORE: Type.Union([Type.Literal('postgres'), Type.Literal('s3')], { default: 'postgres' }),
  /**
   * Days an audit photo is kept (then deleted, hourly; the audit stays); 0 = forever. Photos of jobs
   * still queued or running are never deleted. @default 90
   */
  PHOTO_RETENTION_DAYS: Type.Integer({ default: 90, minimum: 0, maximum: 36_500 }),
  /** S3 bucket of the photos (PHOTO_STORE=s3); credentials come from the AWS SDK's default chain (IRSA). */
  S3_BUCKET: Type.String({ default: '' }),
  /** Key prefix of the photos in S3_BUCKET. @default 'photos/' */
  S3_PREFIX: Type.String({ default: 'photos/' }),
  /** AWS region of S3_BUCKET; empty = the SDK's default (AWS_REGION). */
  S3_REGION: Type.String({ default: '' }),
  /** S3-compatible endpoint (MinIO, Ceph), empty = AWS. */
  S3_ENDPOINT: Type.String({ default: '' }),
  /** Path-style bucket addressing (most S3-compatible servers need it). @default false */
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
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
  /** TRUST_PROXY as Fastify's `trustProxy`: false, a hop count or a list of addresses/CIDRs. */
  TRUST_PROXY_RESOLVED: false | number | string[];
  /** JOB_CONCURRENCY after `0 = WORKERS`. */
  JOB_CONCURRENCY_RESOLVED: number;
}

const PROXY_ADDRESS_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Parses TRUST_PROXY (see {@link EnvSchema}).
 * @throws {Error} for `true`, a bad hop count or an entry that is not an address or CIDR
 */
export function parseTrustProxy(value: string): false | number | string[] {
  const v = value.trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') {
    throw new Error(
      'TRUST_PROXY=true would let every client choose its IP with X-Forwarded-For; set a hop count or proxy addresses',
    );
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops < 1 || hops > 10) throw new Error(`TRUST_PROXY hop count must be 1-10, got ${v}`);
    return hops;
  }
  const entries = v.split(',').map((e) => e.trim());
  for (const e of entries) {
    const [address, prefix, ...rest] = e.split('/');
    const family = isIP(address ?? '');
    const prefixOk =
      prefix === undefined ||
      (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32) && rest.length === 0);
    if (!PROXY_ADDRESS_NAMES.has(e) && (family === 0 || !prefixOk)) {
      throw new Error(
        `TRUST_PROXY entry ${JSON.stringify(e)} is not an IP address, CIDR or ${[...PROXY_ADDRESS_NAMES].join('/')}`,
      );
    }
  }
  return entries;
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
  // A guard, not a behaviour switch: a production environment must never run the development key.
  if (parsed.DEV_MODE && env.NODE_ENV === 'production') {
    throw new Error('DEV_MODE is set together with NODE_ENV=production; refusing to start');
  }
  if (!parsed.JOB_CONSUMERS && !parsed.DATABASE_URL) {
    throw new Error(
      'JOB_CONSUMERS=false needs DATABASE_URL: with embedded PGlite only this process can run the audit jobs (shelfwatch worker cannot reach its database)',
    );
  }
  if (parsed.PHOTO_STORE === 's3' && !parsed.S3_BUCKET) {
    throw new Error('PHOTO_STORE=s3 needs S3_BUCKET (and AWS credentials from the default chain)');
  }
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
    TRUST_PROXY_RESOLVED: parseTrustProxy(parsed.TRUST_PROXY),
    JOB_CONCURRENCY_RESOLVED: parsed.JOB_CONCURRENCY > 0 ? parsed.JOB_CONCURRENCY : workers,
  };
}
