import fastifyAccepts from '@fastify/accepts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TimeRange } from '@shelfwatch/shared';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mayAccessStore } from '../auth/api-keys.js';
import { DashboardRepository } from '../db/dashboard-repository.js';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas/common.js';
import {
  AisleParams,
  CsvBody,
  DEFAULT_RANGE_DAYS,
  HistoryQuery,
  HistoryResponse,
  MAX_RANGE_DAYS,
  StoreParams,
  SummaryQuery,
  SummaryResponse,
} from '../schemas/dashboard.js';

const DAY_MS = 86_400_000;

/**
 * The range `[since, until)` of a query, normalised to UTC: until defaults to now, since to
 * DEFAULT_RANGE_DAYS before until. Refuses an empty or inverted range and one over MAX_RANGE_DAYS.
 */
export function resolveRange(query: { since?: string; until?: string }, now = Date.now()): TimeRange {
  const parse = (name: 'since' | 'until') => {
    const value = query[name];
    if (value === undefined) return undefined;
    const ms = Date.parse(value);
    if (Number.isNaN(ms))
      throw new ApiError('INVALID_REQUEST', `querystring/${name} is not a date-time this server can use.`);
    return ms;
  };
  const until = parse('until') ?? now;
  const since = parse('since') ?? until - DEFAULT_RANGE_DAYS * DAY_MS;
  if (since >= until)
    throw new ApiError('INVALID_REQUEST', 'The range is empty: since must be before until.');
  if (until - since > MAX_RANGE_DAYS * DAY_MS)
    throw new ApiError('INVALID_REQUEST', `The range is longer than ${MAX_RANGE_DAYS} days.`);
  return { since: new Date(since).toISOString(), until: new Date(until).toISOString() };
}

/** JSON unless the client prefers CSV (`Accept: text/csv`). */
function wantsCsv(request: FastifyRequest): boolean {
  return request.accepts().type(['application/json', 'text/csv']) === 'text/csv';
}

/** A CSV download: RFC 4180, a header line, cells that a spreadsheet would run as formulas escaped. */
function sendCsv(reply: FastifyReply, filename: string, columns: string[], records: unknown[][]) {
  const body = stringify([columns, ...records], { escape_formulas: true, record_delimiter: 'windows' });
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(body);
}

/** Both representations of a 200, for OpenAPI (Fastify picks the schema by content type). */
const jsonOrCsv = (schema: typeof SummaryResponse | typeof HistoryResponse) => ({
  description: 'JSON, or CSV with `Accept: text/csv`',
  content: { 'application/json': { schema }, 'text/csv': { schema: CsvBody } },
});

/**
 * The store manager's dashboard: per-aisle aggregates and per-aisle time series of the audits,
 * computed in the database. Same keys and scopes as `/audits`: another store is 403.
 */
export default async function storeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(fastifyAccepts);
  // Every dashboard route needs the database: until it is migrated (PostgreSQL down at start), 503.
  app.addHook('onRequest', app.requireDb);
  app.addHook('onRequest', app.authenticate);
  const security = [{ apiKey: [] }];
  const rateLimit = app.rateLimits.perKey;
  const dashboard = new DashboardRepository(app.db);
  const allowed = (request: FastifyRequest, storeId: string) => {
    if (!mayAccessStore(request.apiKey!, storeId)) throw new ApiError('FORBIDDEN_STORE');
  };
  app.addHook('onSend', async (_request, reply) => {
    reply.header('vary', 'accept').header('cache-control', 'private, no-cache');
  });

  app.get(
    '/stores/:storeId/summary',
    {
      schema: {
        summary: 'Per aisle of a store: audits, last count and gaps, mean count, gap rate, trend, sparkline',
        description:
          'Aisles audited in [since, until), worst gap rate (gaps per shelf row) first. ' +
          `The range defaults to the last ${DEFAULT_RANGE_DAYS} days and may span at most ${MAX_RANGE_DAYS} days.`,
        security,
        params: StoreParams,
        querystring: SummaryQuery,
        produces: ['application/json', 'text/csv'],
        response: { 200: jsonOrCsv(SummaryResponse), ...errorResponses(400, 401, 403, 429, 503) },
      },
      config: { rateLimit },
    },
    async (request, reply) => {
      const { storeId } = request.params;
      allowed(request, storeId);
      const range = resolveRange(request.query);
      const aisles = await dashboard.summary(storeId, range);
      if (!wantsCsv(request)) return { storeId, range, aisles };
      return sendCsv(
        reply,
        `summary-${storeId}.csv`,
        [
          'aisle',
          'audits',
          'first_at',
          'last_at',
          'last_audit_id',
          'last_count',
          'last_rows',
          'last_gaps',
          'mean_count',
          'rows',
          'gaps',
          'gap_rate',
          'count_per_day',
          'gaps_per_day',
        ],
        aisles.map((a) => [
          a.aisle,
          a.audits,
          a.firstAt,
          a.lastAt,
          a.last.auditId,
          a.last.count,
          a.last.rows,
          a.last.gaps,
          a.meanCount,
          a.rows,
          a.gaps,
          a.gapRate,
          a.trend.countPerDay,
          a.trend.gapsPerDay,
        ]),
      );
    },
  );

  app.get(
    '/stores/:storeId/aisles/:aisle/history',
    {
      schema: {
        summary: 'One aisle over time: count, rows and gaps of each audit, oldest first',
        description:
          'The aisle is one path segment: encode `/` as %2F. An aisle without audits in the range has no points.',
        security,
        params: AisleParams,
        querystring: HistoryQuery,
        produces: ['application/json', 'text/csv'],
        response: { 200: jsonOrCsv(HistoryResponse), ...errorResponses(400, 401, 403, 429, 503) },
      },
      config: { rateLimit },
    },
    async (request, reply) => {
      const { storeId, aisle } = request.params;
      allowed(request, storeId);
      const range = resolveRange(request.query);
      const { points, truncated } = await dashboard.history(storeId, aisle, range, request.query.limit);
      if (!wantsCsv(request)) return { storeId, aisle, range, truncated, points };
      return sendCsv(
        reply,
        `history-${storeId}.csv`,
        ['audit_id', 'created_at', 'count', 'rows', 'gaps', 'gap_rate', 'photo'],
        points.map((p) => [p.auditId, p.createdAt, p.count, p.rows, p.gaps, p.gapRate, p.photo]),
      );
    },
  );
}
