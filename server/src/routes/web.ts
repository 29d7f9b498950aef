import { existsSync, realpathSync } from 'node:fs';
import { basename, extname, join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { StoreId } from '../schemas/audits.js';

/** MIME types `send` may not know or may get wrong for the PWA's assets. */
const MIME: Record<string, string> = {
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.mjs': 'text/javascript; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Vite-style content-hashed names (`index-3f2a9c1b.js`, `ort-wasm-simd.BvR8x_1q.wasm`). */
const HASHED = /[.-](?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
/** Files that must be revalidated on every load so that a new deploy is picked up. */
const NO_CACHE = new Set([
  'index.html',
  'sw.js',
  'service-worker.js',
  'registerSW.js',
  'manifest.webmanifest',
]);

const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const DashboardPageQuery = Type.Object(
  { store: Type.Optional(StoreId), from: Type.Optional(Day), to: Type.Optional(Day) },
  { additionalProperties: false },
);

/**
 * The PWA build at `/` (when WEB_ROOT exists): hashed assets cached for a year, the shell and
 * service worker revalidated, unknown paths that look like pages fall back to index.html.
 */
export default async function webRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const root = app.config.WEB_ROOT_RESOLVED;
  if (!root) {
    app.log.info('no PWA build found (WEB_ROOT); serving the API only');
    return;
  }
  // Only files inside the build are served: a symlink out of it (a deploy's mistake) is a 404, as
  // are dotfiles (`.env`, `.git/`), which the build never has.
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  const insideRoot = (pathName: string) => {
    let real: string;
    try {
      real = realpathSync(join(realRoot, pathName));
    } catch {
      return true; // absent: the not-found handling decides
    }
    return real === realRoot || real.startsWith(realRoot + sep);
  };
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: true,
    dotfiles: 'ignore',
    allowedPath: insideRoot,
    index: ['index.html'],
    cacheControl: false,
    setHeaders: (res, path) => {
      const name = basename(path);
      const mime = MIME[extname(path)];
      if (mime) res.header('content-type', mime);
      if (NO_CACHE.has(name) || name.endsWith('.html')) res.header('cache-control', 'no-cache');
      else if (HASHED.test(name) || path.includes('/assets/')) {
        res.header('cache-control', 'public, max-age=31536000, immutable');
      } else res.header('cache-control', 'public, max-age=3600');
    },
  });
  // The store dashboard: the build's second page, at a path without `.html`. Its address carries the
  // form the page restores (`?store=…&from=…&to=…`, as the page writes it); anything else is refused.
  app.get('/dashboard', { schema: { hide: true, querystring: DashboardPageQuery } }, (_request, reply) =>
    reply.sendFile('dashboard.html'),
  );
}
