import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * `API_KEYS` format: a JSON list of keys, each stored as the SHA-256 (hex) of the secret, never the
 * secret itself, with the store ids it may read and write (`"*"` = every store, e.g. head office):
 *
 *   API_KEYS='[{"name":"store-42-tablet","sha256":"<hex>","stores":["store-42"]}]'
 *
 * Make a digest with `printf %s "$KEY" | sha256sum`.
 */
export const ApiKeyEntrySchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
  stores: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
});
export const ApiKeysSchema = Type.Array(ApiKeyEntrySchema);

/** An authenticated caller. */
export interface ApiKey {
  name: string;
  /** Allowed store ids, or '*' for all. */
  stores: readonly string[] | '*';
}

/** The quick-start key, accepted only in DEV_MODE with API_KEYS unset (a warning is logged). */
export const DEV_API_KEY = 'dev-key';
export const DEV_STORE = 'demo-store';

export function sha256Hex(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('hex');
}

export class ApiKeyRing {
  private readonly entries: { digest: Buffer; key: ApiKey }[];

  constructor(entries: readonly { name: string; sha256: string; stores: readonly string[] }[]) {
    this.entries = entries.map((e) => ({
      digest: Buffer.from(e.sha256.toLowerCase(), 'hex'),
      key: { name: e.name, stores: e.stores.includes('*') ? '*' : [...e.stores] },
    }));
  }

  /**
   * Parses `API_KEYS`. Empty is refused, except in development mode where it means the public
   * development key.
   * @throws {Error} naming what is wrong with the JSON, or that keys are required
   */
  static fromEnv(value: string, options: { devMode: boolean }): { ring: ApiKeyRing; development: boolean } {
    if (value.trim() === '') {
      if (!options.devMode) {
        throw new Error(
          'API_KEYS is required: set it to the hashed keys (see server/README.md); DEV_MODE=true allows the development key instead, never in production',
        );
      }
      return {
        ring: new ApiKeyRing([{ name: 'dev', sha256: sha256Hex(DEV_API_KEY), stores: [DEV_STORE] }]),
        development: true,
      };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new Error('API_KEYS is not valid JSON', { cause: err });
    }
    if (!Value.Check(ApiKeysSchema, parsed)) {
      const first = [...Value.Errors(ApiKeysSchema, parsed)][0];
      throw new Error(`API_KEYS is invalid at ${first?.path || '/'}: ${first?.message ?? 'bad value'}`);
    }
    return { ring: new ApiKeyRing(parsed), development: false };
  }

  /** The key whose digest matches the presented secret, compared in constant time. */
  verify(secret: string): ApiKey | null {
    const digest = createHash('sha256').update(secret).digest();
    let found: ApiKey | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest)) found = e.key;
    return found;
  }
}

export function mayAccessStore(key: ApiKey, storeId: string): boolean {
  return key.stores === '*' || key.stores.includes(storeId);
}
