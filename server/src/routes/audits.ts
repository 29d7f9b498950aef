import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mayAccessStore, sha256Hex } from '../auth/api-keys.js';
import { newAudit } from '../db/audit-repository.js';
import type { AuditJob as Job } from '../db/job-repository.js';
import { ApiError } from '../errors.js';
import { readImageInput, requireImageContentType, validateBeforeBody } from '../http/image-input.js';
import { prefersRespondAsync } from '../http/prefer.js';
import { transactionKeepingPhotos } from '../photos/photo-store.js';
import {
  AuditFields,
  AuditJobParams,
  AuditJobResponse,
  AuditList,
  AuditListQuery,
  AuditParams,
  AuditRecord,
} from '../schemas/audits.js';
import {
  errorResponses,
  IMAGE_BODY_DOC,
  IMAGE_CONSUMES,
  imageBodyDoc,
  NoQuery,
  ThresholdQuery,
} from '../schemas/common.js';

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
const AuditCreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x20-\\x7e]+$',
      description: 'printable ASCII',
    }),
  ),
  prefer: Type.Optional(
    Type.String({
      maxLength: 256,
      pattern: '^[\\x20-\\x7e]*$',
      description: '`respond-async`: answer 202 with a job at once, the audit is made by a worker (RFC 7240)',
    }),
  ),
});

/** The job as clients see it: `auditId` once done, `error` once failed. */
function jobView(job: Job): Static<typeof AuditJobResponse> {
  return {
    job: {
      id: job.id,
      status: job.status,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      storeId: job.storeId,
      aisle: job.aisle,
      idempotencyKey: job.idempotencyKey,
      image: { sha256: job.sha256 },
      attempts: job.attempts,
      ...(job.auditId ? { auditId: job.auditId } : {}),
      ...(job.status === 'failed' && job.error ? { error: job.error } : {}),
    },
  };
}

/** The `Prefer` header (Node joins repeated ones with ", "), before the schema has checked it. */
function preferHeader(request: FastifyRequest): string | undefined {
  const value = request.headers.prefer;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Seconds a client should wait before polling a job again. */
const POLL_AFTER_SECONDS = '1';

/** Stored, audited counts: the system of record. Every route needs `Authorization: Bearer <api key>`. */
export default async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // Every audit route needs the database: until it is migrated (PostgreSQL down at start), 503.
  app.addHook('onRequest', app.requireDb);
  // onRequest, not preHandler: an unauthenticated upload is refused before its body is read.
  // Context hooks run before the route's own: authenticate, then the per-key rate limit.
  app.addHook('onRequest', app.authenticate);
  const security = [{ apiKey: [] }];
  const rateLimit = app.rateLimits.perKey;

  app.post(
    '/audits',
    {
      schema: {
        summary: 'Run detection on a photo and store the count as an audit',
        description:
          'Image as raw body (storeId, aisle, note in the query) or multipart (field image plus text fields). ' +
          'A retry with the same Idempotency-Key returns the first record (header Idempotency-Replayed: true). ' +
          'With `Prefer: respond-async`: 202 at once with a job (Location: /audits/jobs/{jobId}) that a worker ' +
          'turns into the audit; the same Idempotency-Key returns the same job. Errors the image itself causes ' +
          '(415, 413, 422) then end the job as failed with that code instead of answering the submit.',
        security,
        consumes: IMAGE_CONSUMES,
        [IMAGE_BODY_DOC]: imageBodyDoc(AuditInput),
        querystring: AuditCreateQuery,
        headers: AuditCreateHeaders,
        response: {
          201: AuditRecord,
          202: AuditJobResponse,
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
        },
      },
      bodyLimit: app.config.MAX_BODY_BYTES,
      // Before the body is read: its type, the query and headers, and the store the query names.
      onRequest: [
        requireImageContentType,
        validateBeforeBody,
        async (request: FastifyRequest) => {
          const { storeId } = request.query as Static<typeof AuditCreateQuery>;
          if (storeId !== undefined && !mayAccessStore(request.apiKey!, storeId))
            throw new ApiError('FORBIDDEN_STORE');
        },
      ],
      // Both admissions come before the body is read: the inference queue for a synchronous audit,
      // the upload slots and the job backlog for an asynchronous one.
      preParsing: (request: FastifyRequest, reply: FastifyReply) =>
        prefersRespondAsync(preferHeader(request))
          ? app.jobs.admit(request, reply)
          : app.inference.admit(request, reply),
      config: { rateLimit },
    },
    async (request, reply) => {
      const key = request.apiKey!;
      const { image, fields } = await readImageInput(request, MULTIPART_FIELDS);
      const { conf, iou, maxDetections, ...queryFields } = request.query;
      // A field comes from the query or the form, never both (one of them would be dropped unseen).
      const twice = Object.keys(fields).find((name) => Object.hasOwn(queryFields, name));
      if (twice !== undefined)
        throw new ApiError('INVALID_REQUEST', `Field ${twice} is given both in the query and in the form.`);
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
      // Echoed so that a client can tell our answer from a captive portal's.
      if (idempotencyKey) reply.header('idempotency-key', idempotencyKey);
      if (prefersRespondAsync(preferHeader(request))) {
        const { job, replayed } = await app.jobs.submit({
          apiKeyName: key.name,
          idempotencyKey,
          storeId: input.storeId,
          aisle: input.aisle,
          note: input.note ?? null,
          options: { conf, iou, maxDetections },
          image,
          sha256,
        });
        if (replayed) reply.header('idempotency-replayed', 'true');
        return reply
          .code(202)
          .header('preference-applied', 'respond-async')
          .header('location', `/audits/jobs/${job.id}`)
          .header('retry-after', POLL_AFTER_SECONDS)
          .send(jobView(job));
      }
      const replay = (record: Static<typeof AuditRecord>) => {
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
        // An asynchronous submit under this key, not done yet: another upload is a conflict (the
        // job would fail on finding this audit); the same upload goes on, and the job then takes
        // this audit as its own.
        const job = await app.jobs.repository.findByIdempotencyKey(app.db, key.name, idempotencyKey);
        if (job && (job.sha256 !== sha256 || job.storeId !== input.storeId || job.aisle !== input.aisle))
          throw new ApiError('IDEMPOTENCY_CONFLICT');
      }
      const result = await app.inference.predict(image, { conf, iou, maxDetections }, request.inferenceSlot!);
      const photoId = randomUUID();
      // The audit and its photo in one transaction; a twin (a concurrent retry) keeps no second photo.
      const { record, created } = await transactionKeepingPhotos(app.db, app.photos, async (tx, keep) => {
        const stored = await app.audits.insert(
          newAudit(result, {
            storeId: input.storeId,
            aisle: input.aisle,
            note: input.note ?? null,
            apiKeyName: key.name,
            idempotencyKey,
            sha256,
            photoId,
          }),
          tx,
        );
        if (stored.created) await keep({ id: photoId, storeId: input.storeId, bytes: image, sha256 });
        return stored;
      });
      if (!created) return replay(record);
      app.metrics.auditsCreated.inc();
      return reply.code(201).header('location', `/audits/${record.id}`).send(record);
    },
  );

  app.get(
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

  app.get(
    '/audits/:id',
    {
      schema: {
        summary: 'One audit',
        security,
        params: AuditParams,
        querystring: NoQuery,
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

  app.get(
    '/audits/:id/photo',
    {
      schema: {
        summary: 'The photo an audit was made from, as uploaded (kept for PHOTO_RETENTION_DAYS)',
        security,
        params: AuditParams,
        querystring: NoQuery,
        produces: ['image/jpeg', 'image/png', 'image/webp'],
        response: {
          // OpenAPI: a binary string; to TypeScript: the Buffer the handler sends (never serialised)
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'the photo bytes' }),
          ...errorResponses(400, 401, 404, 429),
        },
      },
      config: { rateLimit },
    },
    async (request, reply) => {
      const audit = await app.audits.photoId(request.params.id.toLowerCase());
      if (!audit || !mayAccessStore(request.apiKey!, audit.storeId))
        throw new ApiError('NOT_FOUND', 'Audit not found.');
      const photo = audit.photoId ? await app.photos.get(audit.photoId) : null;
      if (!photo)
        throw new ApiError(
          'NOT_FOUND',
          'The photo of this audit is not kept (past its retention, or stored before photos were).',
        );
      return reply
        .type(photo.contentType)
        .header('cache-control', 'private, max-age=86400, immutable')
        .header('content-disposition', `inline; filename="audit-${request.params.id.toLowerCase()}"`)
        .header('etag', `"${photo.sha256}"`)
        .send(photo.bytes);
    },
  );

  app.get(
    '/audits/jobs/:jobId',
    {
      schema: {
        summary: 'An asynchronous audit: queued, running, done (auditId) or failed (error)',
        security,
        params: AuditJobParams,
        querystring: NoQuery,
        response: { 200: AuditJobResponse, ...errorResponses(400, 401, 404, 429) },
      },
      config: { rateLimit },
    },
    async (request, reply) => {
      const job = await app.jobs.repository.get(request.params.jobId.toLowerCase());
      // Another store's job reads as absent, like its audits.
      if (!job || !mayAccessStore(request.apiKey!, job.storeId))
        throw new ApiError('NOT_FOUND', 'Job not found.');
      if (job.status === 'queued' || job.status === 'running')
        reply.header('retry-after', POLL_AFTER_SECONDS);
      else if (job.auditId) reply.header('content-location', `/audits/${job.auditId}`);
      return jobView(job);
    },
  );
}
