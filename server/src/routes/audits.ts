import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { mayAccessStore, sha256Hex } from '../auth/api-keys.js';
import { ApiError } from '../errors.js';
import { readImageInput, requireImageContentType } from '../http/image-input.js';
import { AuditFields, AuditList, AuditListQuery, AuditParams, AuditRecord } from '../schemas/audits.js';
import { errorResponses, IMAGE_CONSUMES, ThresholdQuery } from '../schemas/common.js';

const AuditCreateQuery = Type.Object(
  {
    ...ThresholdQuery,
    storeId: Type.Optional(AuditFields.storeId),
    aisle: Type.Optional(AuditFields.aisle),
    note: AuditFields.note,
  },
  { additionalProperties: false },
);
const AuditInput = Type.Object(
  { storeId: AuditFields.storeId, aisle: AuditFields.aisle, note: AuditFields.note },
  { additionalProperties: false },
);
/** The text fields a multipart `POST /audits` may carry (beside the file field `image`). */
const MULTIPART_FIELDS = ['storeId', 'aisle', 'note'] as const;
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x20-\\x7e]+$',
      description: 'printable ASCII',
    }),
  ),
});

/** Stored, audited counts: the system of record. Every route needs `Authorization: Bearer <api key>`. */
export default async function auditRoutes(app: FastifyInstance) {
  // onRequest, not preHandler: an unauthenticated upload is refused before its body is read.
  // Context hooks run before the route's own: authenticate, then the per-key rate limit.
  app.addHook('onRequest', app.authenticate);
  const security = [{ apiKey: [] }];
  const rateLimit = app.rateLimits.perKey;

  app.post<{ Querystring: typeof AuditCreateQuery.static; Headers: typeof IdempotencyHeaders.static }>(
    '/audits',
    {
      schema: {
        summary: 'Run detection on a photo and store the count as an audit',
        description:
          'Image as raw body (storeId, aisle, note in the query) or multipart (field image plus text fields). ' +
          'A retry with the same Idempotency-Key returns the first record (header Idempotency-Replayed: true).',
        security,
        consumes: IMAGE_CONSUMES,
        querystring: AuditCreateQuery,
        headers: IdempotencyHeaders,
        response: { 201: AuditRecord, ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503) },
      },
      bodyLimit: app.config.MAX_BODY_BYTES,
      onRequest: requireImageContentType,
      preParsing: app.inference.admit,
      config: { rateLimit },
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const { image, fields } = await readImageInput(request, MULTIPART_FIELDS);
      const { conf, iou, maxDetections, ...queryFields } = request.query;
      const input = { ...queryFields, ...fields };
      if (!Value.Check(AuditInput, input)) {
        const first = [...Value.Errors(AuditInput, input)][0];
        throw new ApiError(
          'INVALID_REQUEST',
          `Field ${first?.path.slice(1) || 'storeId'}: ${first?.message ?? 'invalid'}.`,
        );
      }
      if (!mayAccessStore(key, input.storeId)) throw new ApiError('FORBIDDEN_STORE');
      const sha256 = sha256Hex(image);
      const idempotencyKey = request.headers['idempotency-key'] ?? null;
      const replay = (record: typeof AuditRecord.static) => {
        if (
          record.image.sha256 !== sha256 ||
          record.storeId !== input.storeId ||
          record.aisle !== input.aisle
        ) {
          throw new ApiError('IDEMPOTENCY_CONFLICT');
        }
        return reply.code(201).header('idempotency-replayed', 'true').send(record);
      };
      if (idempotencyKey) {
        const existing = await app.audits.findByIdempotencyKey(key.name, idempotencyKey);
        if (existing) return replay(existing);
      }
      const result = await app.inference.predict(image, { conf, iou, maxDetections }, request.inferenceSlot!);
      const { record, created } = await app.audits.insert({
        storeId: input.storeId,
        aisle: input.aisle,
        note: input.note ?? null,
        model: result.model,
        count: result.count,
        rows: result.shelf.rows,
        detections: result.detections,
        image: { ...result.image, sha256 },
        apiKeyName: key.name,
        idempotencyKey,
      });
      if (!created) return replay(record);
      app.metrics.auditsCreated.inc();
      return reply.code(201).header('location', `/audits/${record.id}`).send(record);
    },
  );

  app.get<{ Querystring: typeof AuditListQuery.static }>(
    '/audits',
    {
      schema: {
        summary: "List audits of the key's stores, newest first",
        security,
        querystring: AuditListQuery,
        response: { 200: AuditList, ...errorResponses(400, 401, 403, 429) },
      },
      config: { rateLimit },
    },
    async (request) => {
      const key = request.apiKey!;
      const { storeId, since, limit } = request.query;
      if (storeId !== undefined && !mayAccessStore(key, storeId)) throw new ApiError('FORBIDDEN_STORE');
      // Normalised to UTC: the database sees one unambiguous form (and a leap second is refused here).
      const sinceMs = since === undefined ? undefined : Date.parse(since);
      if (sinceMs !== undefined && Number.isNaN(sinceMs))
        throw new ApiError('INVALID_REQUEST', 'querystring/since is not a date-time this server can use.');
      const sinceUtc = sinceMs === undefined ? undefined : new Date(sinceMs).toISOString();
      return { items: await app.audits.list({ stores: key.stores, storeId, since: sinceUtc, limit }) };
    },
  );

  app.get<{ Params: typeof AuditParams.static }>(
    '/audits/:id',
    {
      schema: {
        summary: 'One audit',
        security,
        params: AuditParams,
        response: { 200: AuditRecord, ...errorResponses(400, 401, 404, 429) },
      },
      config: { rateLimit },
    },
    async (request) => {
      const record = await app.audits.get(request.params.id.toLowerCase());
      // Another store's audit reads as absent: a key learns nothing about stores it cannot see.
      if (!record || !mayAccessStore(request.apiKey!, record.storeId))
        throw new ApiError('NOT_FOUND', 'Audit not found.');
      return record;
    },
  );
}
