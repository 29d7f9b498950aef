/// <reference lib="webworker" />
/**
 * Service worker (vite-plugin-pwa injectManifest): precaches the app shell and the onnxruntime-web
 * glue, serves the model from its per-version cache (the detector worker fills it, and the ORT WASM
 * cache, with progress), and sends queued audits on Background Sync with the API key of the settings.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { AuditQueue, withSyncLock } from './audits/audit-queue.ts';
import { httpAuditSender } from './audits/send-audit.ts';
import { deleteOtherCaches, modelCacheName } from './engine/model-cache.ts';
import { loadSettings } from './settings.ts';
import { openShelfWatchDb } from './storage/db.ts';

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null }>;
};

/** Background Sync tag the page registers when it queues an audit. */
const SYNC_TAG = 'shelfwatch-audits';

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// Two pages: the store dashboard (precached too), and the scanner for every other page path; API and
// tooling paths are never answered with either.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/dashboard.html'), { allowlist: [/^\/dashboard(\?|$)/] }),
);
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/(predict|audits|stores|me|health|metrics|docs|dashboard)([/?]|$)/],
  }),
);

// Models: `/models/<version>/<file>`, cache first, one Cache Storage entry per version.
registerRoute(
  ({ url, request }) =>
    request.method === 'GET' &&
    url.origin === self.location.origin &&
    /^\/models\/[^/]+\/[^/]+\.onnx$/.test(url.pathname),
  async ({ url, request }) => {
    const version = decodeURIComponent(url.pathname.split('/')[2]!);
    const cacheName = modelCacheName(version);
    const cache = await caches.open(cacheName);
    const hit = await cache.match(url.pathname);
    if (hit) return hit;
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(url.pathname, response.clone());
      await deleteOtherCaches(caches, cacheName);
    }
    return response;
  },
);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

async function notifyClients(): Promise<void> {
  for (const client of await self.clients.matchAll({ type: 'window' }))
    client.postMessage({ type: 'audits-changed' });
}

async function syncAudits(): Promise<void> {
  const db = await openShelfWatchDb();
  try {
    // The key is read when sending, never stored with the audits.
    const apiKey = async () => (await loadSettings(db)).apiKey;
    const report = await withSyncLock(() => new AuditQueue(db).sync(httpAuditSender(apiKey), true));
    await notifyClients();
    // Rejecting makes the browser schedule another sync with its own backoff.
    if (report && report.retried > 0) throw new Error(`${report.retried} audit(s) still pending`);
  } finally {
    db.close();
  }
}

self.addEventListener('sync', (event) => {
  const e = event as ExtendableEvent & { tag: string };
  if (e.tag !== SYNC_TAG) return;
  e.waitUntil(
    (async () => {
      // An open page runs the same queue with its own timer and `online` handler: let it send, so
      // that one context owns the retries. With the app closed, the worker sends.
      const pages = await self.clients.matchAll({ type: 'window' });
      if (pages.length) {
        for (const p of pages) p.postMessage({ type: 'sync-audits' });
        return;
      }
      await syncAudits();
    })(),
  );
});
