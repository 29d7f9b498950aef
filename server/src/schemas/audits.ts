import { Type } from '@sinclair/typebox';
import { ModelInfo, StoredDetection, StoredShelfRow } from './common.js';

export const AuditRecord = Type.Object({
  id: Type.String({ format: 'uuid' }),
  createdAt: Type.String({ format: 'date-time' }),
  storeId: Type.String(),
  aisle: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  model: ModelInfo,
  count: Type.Integer({ minimum: 0 }),
  rows: Type.Array(StoredShelfRow),
  detections: Type.Array(StoredDetection),
  image: Type.Object({ width: Type.Integer(), height: Type.Integer(), sha256: Type.String() }),
});

/** Store and aisle may come as query parameters (raw image body) or multipart fields. */
export const AuditFields = {
  storeId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
  aisle: Type.String({ minLength: 1, maxLength: 128 }),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
};

export const AuditListQuery = Type.Object({
  storeId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'only audits created at or after' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const AuditList = Type.Object({ items: Type.Array(AuditRecord) });
