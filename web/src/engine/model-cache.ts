/**
 * Fetches a large same-origin file through Cache Storage, reporting download progress. The cache is
 * named by kind and version (`shelfwatch-model-<version>`, `shelfwatch-ort-<version>`), so a new
 * version lands in a new cache and the old ones of the same kind are deleted once it is stored. Works
 * in windows and workers; without Cache Storage it just fetches.
 */

export interface CachedBytes {
  bytes: Uint8Array;
  fromCache: boolean;
}

/** Shortest time between two download progress reports, ms. */
const PROGRESS_EVERY_MS = 100;

/** Prefix of the Cache Storage names holding models; the service worker uses the same scheme. */
export const MODEL_CACHE_PREFIX = 'shelfwatch-model-';

/** Prefix of the Cache Storage names holding the onnxruntime-web WASM binary. */
export const ORT_CACHE_PREFIX = 'shelfwatch-ort-';

export function modelCacheName(version: string): string {
  return MODEL_CACHE_PREFIX + version;
}

export function ortCacheName(version: string): string {
  return ORT_CACHE_PREFIX + version;
}

/** The prefix (kind) of one of our cache names. */
function prefixOf(cacheName: string): string {
  return cacheName.startsWith(ORT_CACHE_PREFIX) ? ORT_CACHE_PREFIX : MODEL_CACHE_PREFIX;
}

async function readWithProgress(
  response: Response,
  onProgress?: (loaded: number, total: number) => void,
  expectedBytes = 0,
): Promise<Uint8Array> {
  // The body stream yields decoded bytes, so a Content-Length of a compressed response is no total.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const total = expectedBytes || (encoded ? 0 : Number(response.headers.get('content-length') ?? 0));
  if (!response.body || !onProgress) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  // A download arrives in hundreds of chunks; each report crosses to the page (comlink), so report
  // every PROGRESS_EVERY_MS and at the end.
  let reported = Number.NEGATIVE_INFINITY;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    const now = performance.now();
    if (now - reported >= PROGRESS_EVERY_MS) {
      reported = now;
      onProgress(loaded, total);
    }
  }
  onProgress(loaded, total);
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/**
 * Returns the file's bytes from `cacheName` or the network (then stores them and drops other caches
 * with the same prefix).
 * @throws {Error} when the file is neither cached nor downloadable
 */
export async function fetchCached(
  url: string,
  cacheName: string,
  onProgress?: (loaded: number, total: number) => void,
  /** The file's size when known at build time (progress without a usable Content-Length). */
  expectedBytes = 0,
): Promise<CachedBytes> {
  const storage = typeof caches === 'undefined' ? undefined : caches;
  const cache = storage ? await storage.open(cacheName) : undefined;
  const hit = await cache?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress?.(bytes.byteLength, bytes.byteLength);
    return { bytes, fromCache: true };
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  const bytes = await readWithProgress(response, onProgress, expectedBytes);
  if (cache && storage) {
    const headers = new Headers({
      'content-type': response.headers.get('content-type') ?? 'application/octet-stream',
    });
    await cache.put(url, new Response(bytes.slice(), { status: 200, headers }));
    await deleteOtherCaches(storage, cacheName);
  }
  return { bytes, fromCache: false };
}

/** Deletes caches of the same kind as `keep` other than `keep` (old versions). */
export async function deleteOtherCaches(storage: CacheStorage, keep: string): Promise<void> {
  const prefix = prefixOf(keep);
  for (const name of await storage.keys()) {
    if (name !== keep && name.startsWith(prefix)) await storage.delete(name);
  }
}

/** Whether `url` is already stored in `cacheName` (for "Ready offline"). */
export async function isCached(url: string, cacheName: string): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  return (await (await caches.open(cacheName)).match(url)) !== undefined;
}
