/**
 * One API contract. The TypeBox schemas in src/schemas/ are what Fastify validates and serialises
 * and what /docs shows; `@shelfwatch/shared`'s types are what the pipeline (server and PWA) builds.
 * The type-level assertions below fail `pnpm typecheck` (server/test/tsconfig.json) when the two
 * drift apart in either direction; the runtime checks hold a real result and a stored record to the
 * schemas as Ajv-compatible validators would.
 */
import type {
  AisleHistory,
  AisleSummary as AisleSummaryType,
  Detection as DetectionType,
  HistoryPoint as HistoryPointType,
  ModelInfo as ModelInfoType,
  PredictResult as PredictResultType,
  ShelfRow as ShelfRowType,
  StageTimings,
  StoreSummary,
} from '@shelfwatch/shared';
import type { Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AuditRecord } from '../src/schemas/audits.js';
import {
  type Detection,
  type ModelInfo,
  PredictResult,
  type ShelfRow,
  type StoredDetection,
  type StoredShelfRow,
} from '../src/schemas/common.js';
import type {
  AisleSummary,
  HistoryPoint,
  HistoryResponse,
  SummaryResponse,
} from '../src/schemas/dashboard.js';

describe('the response schemas and the shared result types are one contract', () => {
  it('PredictResult: Static<schema> is exactly shared PredictResult (types)', () => {
    expectTypeOf<Static<typeof PredictResult>>().toEqualTypeOf<PredictResultType>();
    expectTypeOf<Static<typeof Detection>>().toEqualTypeOf<DetectionType>();
    expectTypeOf<Static<typeof ShelfRow>>().toEqualTypeOf<ShelfRowType>();
    expectTypeOf<Static<typeof ModelInfo>>().toEqualTypeOf<ModelInfoType>();
    expectTypeOf<Static<typeof PredictResult>['timingsMs']>().toEqualTypeOf<StageTimings>();
  });

  it('the dashboard responses: Static<schema> is exactly the shared dashboard types (types)', () => {
    expectTypeOf<Static<typeof SummaryResponse>>().toEqualTypeOf<StoreSummary>();
    expectTypeOf<Static<typeof AisleSummary>>().toEqualTypeOf<AisleSummaryType>();
    expectTypeOf<Static<typeof HistoryResponse>>().toEqualTypeOf<AisleHistory>();
    expectTypeOf<Static<typeof HistoryPoint>>().toEqualTypeOf<HistoryPointType>();
  });

  it('stored detections and rows are the live ones with `row` / `line` optional (types)', () => {
    expectTypeOf<DetectionType>().toExtend<Static<typeof StoredDetection>>();
    expectTypeOf<ShelfRowType>().toExtend<Static<typeof StoredShelfRow>>();
    expectTypeOf<Static<typeof AuditRecord>['detections'][number]>().toEqualTypeOf<
      Static<typeof StoredDetection>
    >();
  });

  it('a result built as the pipeline builds it passes the schema; one missing a field does not', () => {
    const result: PredictResultType = {
      model: { name: 'shelfwatch-det', version: '0.0.0' },
      image: { width: 640, height: 480 },
      count: 1,
      detections: [{ box: [1, 2, 30, 40], score: 0.9, label: 'product', row: 0 }],
      shelf: {
        rows: [
          {
            box: [1, 2, 30, 40],
            line: [
              [1, 40],
              [30, 40],
            ],
            count: 1,
            gaps: [],
          },
        ],
      },
      timingsMs: { decode: 1, resize: 2, tensor: 0.1, inference: 5, postprocess: 0.5, total: 8.6 },
    };
    expect([...Value.Errors(PredictResult, result)]).toEqual([]);
    const { row: _row, ...withoutRow } = result.detections[0]!;
    expect(Value.Check(PredictResult, { ...result, detections: [withoutRow] })).toBe(false);
    expect(Value.Check(PredictResult, { ...result, timingsMs: { ...result.timingsMs, total: 'x' } })).toBe(
      false,
    );
  });
});
