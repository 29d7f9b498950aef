import { Type } from '@sinclair/typebox';
import { FiniteInteger, ModelInfo, StoredDetection, StoredShelfRow } from './common.js';

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

/** A store id: what `API_KEYS` lists. */
export const StoreId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' });

/**
 * Free text without control characters (U+0000-U+001F, U+007F-U+009F) or U+FFFD. PostgreSQL refuses
 * NUL in text (a 500 before this); the rest has no place in an aisle label; U+FFFD is what bytes
 * that were not UTF-8 decode to (a form sent in Latin-1), which would be stored as such. `note` may
 * hold line breaks and tabs.
 */
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f-\\u009f\\ufffd]*$';
const NO_CONTROL_BUT_LINES = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\ufffd]*$';

/** Store and aisle may come as query parameters (raw image body) or multipart fields. */
export const AuditFields = {
  storeId: StoreId,
  aisle: Type.String({ minLength: 1, maxLength: 128, pattern: NO_CONTROL }),
  note: Type.Optional(Type.String({ maxLength: 2000, pattern: NO_CONTROL_BUT_LINES })),
};

/**
 * An RFC 3339 date-time that PostgreSQL's timestamptz takes: years 1970-9999 (year 0000 is no
 * date there) and UTC offsets within +-14:00 (`+20:00` made PostgreSQL fail with a 500).
 */
export const SinceDateTime = Type.String({
  format: 'date-time',
  pattern:
    '^(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}[Tt ][0-9:.]+([Zz]|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$',
  description: 'only audits created at or after (RFC 3339, year 1970-9999, offset within +-14:00)',
});

export const AuditListQuery = Type.Object(
  {
    storeId: Type.Optional(StoreId),
    since: Type.Optional(SinceDateTime),
    limit: FiniteInteger({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
);

/** A canonical UUID (ajv's `uuid` format also takes `urn:uuid:...`, which PostgreSQL refuses). */
export const AuditParams = Type.Object(
  {
    id: Type.String({
      pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
      description: 'audit id (UUID)',
    }),
  },
  { additionalProperties: false },
);

export const AuditList = Type.Object({ items: Type.Array(AuditRecord) });

const CANONICAL_UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export const AuditJobParams = Type.Object(
  { jobId: Type.String({ pattern: CANONICAL_UUID, description: 'job id (UUID)' }) },
  { additionalProperties: false },
);

/** An asynchronous audit as clients poll it (`GET /audits/jobs/{jobId}`, and the 202 of a submit). */
export const AuditJob = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union(
    [Type.Literal('queued'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')],
    { description: 'queued (waiting, or waiting for a retry), running, done (auditId) or failed (error)' },
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  storeId: Type.String(),
  aisle: Type.String(),
  idempotencyKey: Type.Union([Type.String(), Type.Null()], {
    description: 'the Idempotency-Key it was submitted with',
  }),
  image: Type.Object({ sha256: Type.String({ description: 'SHA-256 of the uploaded photo' }) }),
  attempts: Type.Integer({ minimum: 0, description: 'times a worker started it' }),
  auditId: Type.Optional(Type.String({ format: 'uuid', description: 'the stored audit, when done' })),
  error: Type.Optional(
    Type.Object(
      { code: Type.String(), message: Type.String() },
      { description: 'why it failed: the code the synchronous route would answer with' },
    ),
  ),
});

export const AuditJobResponse = Type.Object({ job: AuditJob });
