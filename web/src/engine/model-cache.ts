/**
 * Fetches a large same-origin file through Cache Storage, reporting download progress. The cache is
 * named by version (`shelfwatch-model-<version>`), so a new model lands in a new cache and the old
 * ones are deleted once it is stored. Works in windows and workers; without Cache Storage it just fetches.
 */

export interface CachedBytes {
  bytes: Uint8Array;
  fromCache: boolean;
}

/** Prefix of the Cache Storage names holding models; the service worker uses the same scheme. */
export const MODEL_CACHE_PREFIX = 'shelfwatch-model-';

export function modelCacheName(version: string): string {
  return MODEL_CACHE_PREFIX + version;
}

async function readWithProgress(
  response: Response,
  onProgress?: (loaded: number, total: number) => void,
): Promise<Uint8Array> {
  const total = Number(response.headers.get('content-length') ?? 0);
  if (!response.body || !onProgress) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
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
  const bytes = await readWithProgress(response, onProgress);
  if (cache && storage) {
    const headers = new Headers({
      'content-type': response.headers.get('content-type') ?? 'application/octet-stream',
    });
    await cache.put(url, new Response(bytes.slice(), { status: 200, headers }));
    await deleteOtherCaches(storage, cacheName);
  }
  return { bytes, fromCache: false };
}

/** Deletes model caches other than `keep` (old model versions). */
export async function deleteOtherCaches(storage: CacheStorage, keep: string): Promise<void> {
  for (const name of await storage.keys()) {
    if (name !== keep && name.startsWith(MODEL_CACHE_PREFIX)) await storage.delete(name);
  }
}
