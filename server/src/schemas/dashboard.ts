import { Type } from '@sinclair/typebox';
import { AuditFields, SinceDateTime, StoreId } from './audits.js';
import { FiniteInteger } from './common.js';

/** Longest range the dashboard aggregates over: a year and a day (a leap year, or a year to now). */
export const MAX_RANGE_DAYS = 366;
/** Range when `since` is not given: this many days before `until`. */
export const DEFAULT_RANGE_DAYS = 30;

const RangeBound = (description: string) =>
  Type.String({ format: 'date-time', pattern: SinceDateTime.pattern, description });

const rangeQuery = {
  since: Type.Optional(
    RangeBound(
      `audits created at or after (RFC 3339, year 1970-9999, offset within +-14:00); default: ${DEFAULT_RANGE_DAYS} days before until`,
    ),
  ),
  until: Type.Optional(
    RangeBound('audits created before (RFC 3339, year 1970-9999, offset within +-14:00); default: now'),
  ),
};

export const SummaryQuery = Type.Object(rangeQuery, { additionalProperties: false });

export const HistoryQuery = Type.Object(
  {
    ...rangeQuery,
    limit: FiniteInteger({
      minimum: 1,
      maximum: 5000,
      default: 1000,
      description: 'most audits returned: the newest ones of the range (truncated: true when more)',
    }),
  },
  { additionalProperties: false },
);

export const StoreParams = Type.Object({ storeId: StoreId }, { additionalProperties: false });
export const AisleParams = Type.Object(
  { storeId: StoreId, aisle: AuditFields.aisle },
  { additionalProperties: false },
);

const Range = Type.Object(
  {
    since: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time' }),
  },
  { description: 'the half-open range [since, until) aggregated, UTC' },
);

const Rate = Type.Union([Type.Number(), Type.Null()]);

export const AisleSummary = Type.Object({
  aisle: Type.String(),
  audits: Type.Integer({ minimum: 1, description: 'audits of the aisle in the range' }),
  firstAt: Type.String({ format: 'date-time' }),
  lastAt: Type.String({ format: 'date-time' }),
  last: Type.Object(
    {
      auditId: Type.String({ format: 'uuid' }),
      count: Type.Integer({ minimum: 0 }),
      rows: Type.Integer({ minimum: 0 }),
      gaps: Type.Integer({ minimum: 0 }),
    },
    { description: 'the latest audit of the range' },
  ),
  meanCount: Type.Number({ description: 'mean product count per audit' }),
  rows: Type.Integer({ minimum: 0, description: 'shelf rows found, summed over the audits' }),
  gaps: Type.Integer({ minimum: 0, description: 'gaps found, summed over the audits' }),
  gapRate: Type.Union([Type.Number(), Type.Null()], {
    description: 'gaps per shelf row (gaps / rows); null when no audit found a row',
  }),
  trend: Type.Object(
    { countPerDay: Rate, gapsPerDay: Rate },
    {
      description:
        'least-squares slope of the count and of the gaps per audit against time, per day; null with fewer than two audits',
    },
  ),
  spark: Type.Array(Rate, {
    description: 'gap rate per equal span of the range (24 spans, oldest first); null where none',
  }),
});

export const SummaryResponse = Type.Object({
  storeId: Type.String(),
  range: Range,
  aisles: Type.Array(AisleSummary, { description: 'aisles audited in the range, worst gap rate first' }),
});

export const HistoryPoint = Type.Object({
  auditId: Type.String({ format: 'uuid' }),
  createdAt: Type.String({ format: 'date-time' }),
  count: Type.Integer({ minimum: 0 }),
  rows: Type.Integer({ minimum: 0 }),
  gaps: Type.Integer({ minimum: 0 }),
  gapRate: Rate,
  photo: Type.Boolean({ description: 'the photo is kept: GET /audits/{auditId}/photo' }),
});

export const HistoryResponse = Type.Object({
  storeId: Type.String(),
  aisle: Type.String(),
  range: Range,
  truncated: Type.Boolean({ description: 'older audits of the range were left out (see limit)' }),
  points: Type.Array(HistoryPoint, { description: 'oldest first' }),
});

/** The CSV alternative of a response (`Accept: text/csv`), for OpenAPI. */
export const CsvBody = Type.String({ description: 'RFC 4180 CSV with a header line' });
