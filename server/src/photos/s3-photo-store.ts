import type { S3Client } from '@aws-sdk/client-s3';
import type { SqlClient, SqlRunner } from '../db/sql-client.js';
import { imageContentType, type NewPhoto, SqlPhotoStore } from './photo-store.js';

export interface S3PhotoSettings {
  bucket: string;
  /** Key prefix, e.g. `photos/`; the key is prefix + photo id. */
  prefix: string;
  /** Empty = the SDK's default region (AWS_REGION). */
  region: string;
  /** Empty = AWS; else an S3-compatible endpoint. */
  endpoint: string;
  forcePathStyle: boolean;
}

/**
 * Photo bytes in S3 (production at scale: the database keeps only the metadata row). Credentials
 * come from the SDK's default chain (IRSA on EKS, instance roles, AWS_* variables).
 * Not exercised here: no S3 endpoint is reachable where this was written (server/README.md).
 */
export class S3PhotoStore extends SqlPhotoStore {
  readonly kind = 's3' as const;

  private constructor(
    db: SqlClient,
    private readonly s3: S3Client,
    private readonly sdk: typeof import('@aws-sdk/client-s3'),
    private readonly settings: S3PhotoSettings,
  ) {
    super(db);
  }

  /** Loads the SDK only when this store is configured (it is large, and most installs never use it). */
  static async create(db: SqlClient, settings: S3PhotoSettings): Promise<S3PhotoStore> {
    const sdk = await import('@aws-sdk/client-s3');
    const s3 = new sdk.S3Client({
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
    });
    return new S3PhotoStore(db, s3, sdk, settings);
  }

  private key(id: string): string {
    return `${this.settings.prefix}${id}`;
  }

  async put(tx: SqlRunner, photo: NewPhoto): Promise<void> {
    // Upload before the row: a committed row always has its object. A rollback leaves an object
    // without a row, which the caller removes with discard().
    await this.s3.send(
      new this.sdk.PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(photo.id),
        Body: photo.bytes,
        ContentType: imageContentType(photo.bytes),
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    await this.insertRow(tx, photo, null);
  }

  async discard(id: string): Promise<void> {
    await this.removeBytes([id]);
  }

  protected async readBytes(id: string): Promise<Buffer | null> {
    try {
      const out = await this.s3.send(
        new this.sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(id) }),
      );
      return out.Body ? Buffer.from(await out.Body.transformToByteArray()) : null;
    } catch (err) {
      if (err instanceof this.sdk.NoSuchKey) return null;
      throw err;
    }
  }

  protected async removeBytes(ids: string[]): Promise<void> {
    // DeleteObjects takes at most 1,000 keys.
    for (let i = 0; i < ids.length; i += 1000) {
      await this.s3.send(
        new this.sdk.DeleteObjectsCommand({
          Bucket: this.settings.bucket,
          Delete: { Objects: ids.slice(i, i + 1000).map((id) => ({ Key: this.key(id) })), Quiet: true },
        }),
      );
    }
  }
}
