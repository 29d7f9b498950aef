import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type PhotoStore, PostgresPhotoStore } from '../../photos/photo-store.js';
import { S3PhotoStore } from '../../photos/s3-photo-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where audit photos are kept (PHOTO_STORE): the audit database's `photos` table, or S3. */
    photos: PhotoStore;
  }
}

/** The PhotoStore named by PHOTO_STORE, over the audit database (its metadata rows live there). */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const store: PhotoStore =
      config.PHOTO_STORE === 's3'
        ? await S3PhotoStore.create(app.db, {
            bucket: config.S3_BUCKET,
            prefix: config.S3_PREFIX,
            region: config.S3_REGION,
            endpoint: config.S3_ENDPOINT,
            forcePathStyle: config.S3_FORCE_PATH_STYLE,
          })
        : new PostgresPhotoStore(app.db);
    app.decorate('photos', store);
  },
  { name: 'photo-store', dependencies: ['env', 'audit-store'], fastify: '5.x' },
);
