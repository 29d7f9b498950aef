import { createHash, randomUUID } from 'node:crypto';
import { seededRandom } from '@shelfwatch/shared';
import type { NewAudit } from './audit-repository.js';
import type { SqlClient } from './sql-client.js';

/** An audit to store as it is, with its own creation time (seeding, tests, imports). */
export interface SeedAudit extends Omit<NewAudit, 'idempotencyKey' | 'jobId'> {
  /** ISO 8601. */
  createdAt: string;
}

const BATCH = 500;

/**
 * Stores audits with the times they carry, in batches of one statement each (jsonb_to_recordset), in
 * one transaction. Nothing else writes `created_at`: the API stores the time of the request.
 * @returns how many were stored
 */
export async function insertAudits(db: SqlClient, audits: readonly SeedAudit[]): Promise<number> {
  return db.transaction(async (tx) => {
    for (let i = 0; i < audits.length; i += BATCH) {
      const batch = audits.slice(i, i + BATCH).map((a) => ({
        id: randomUUID(),
        created_at: a.createdAt,
        store_id: a.storeId,
        aisle: a.aisle,
        note: a.note,
        api_key_name: a.apiKeyName,
        model_name: a.model.name,
        model_version: a.model.version,
        image_sha256: a.image.sha256,
        image_width: a.image.width,
        image_height: a.image.height,
        count: a.count,
        rows: a.rows,
        detections: a.detections,
        photo_id: a.photoId ?? null,
      }));
      await tx.query(
        `INSERT INTO audits (id, created_at, store_id, aisle, note, api_key_name, model_name, model_version,
           image_sha256, image_width, image_height, count, rows, detections, photo_id)
         SELECT id, created_at, store_id, aisle, note, api_key_name, model_name, model_version,
           image_sha256, image_width, image_height, count, rows, detections, photo_id
         FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, created_at timestamptz, store_id text, aisle text,
           note text, api_key_name text, model_name text, model_version text, image_sha256 text,
           image_width integer, image_height integer, count integer, rows jsonb, detections jsonb, photo_id uuid)`,
        [JSON.stringify(batch)],
      );
    }
    return audits.length;
  });
}

export interface SyntheticOptions {
  storeId: string;
  /** @default 20 */
  aisles?: number;
  /** Audits per aisle and day. @default 2 */
  perDay?: number;
  /** @default 365 */
  days?: number;
  /** The last day's audits are before this time. @default now */
  until?: Date;
  /** @default 1 */
  seed?: number;
  /** Aisle names; default `A01`, `A02`, ... */
  aisleName?: (index: number) => string;
}

const WIDTH = 1600;
const HEIGHT = 1200;
const SLOTS = 12;
const SLOT_W = 120;

/**
 * Plausible audits of a store: each aisle photographed `perDay` times a day (from 08:00 UTC, spread
 * over the day) with 4 shelf rows of 12 product slots. Every slot is empty with the aisle's own
 * probability (aisle 0 the best stocked, the last one the worst, worse at weekends and drifting over
 * the range), adjacent empty slots make one gap, and the detections, rows, lines and gaps are laid out
 * as the detector would report them. Deterministic for a seed, apart from ids.
 */
export function syntheticAudits(options: SyntheticOptions): SeedAudit[] {
  const aisles = options.aisles ?? 20;
  const perDay = options.perDay ?? 2;
  const days = options.days ?? 365;
  const until = (options.until ?? new Date()).getTime();
  const name = options.aisleName ?? ((i: number) => `A${String(i + 1).padStart(2, '0')}`);
  const random = seededRandom(options.seed ?? 1);
  const dayMs = 86_400_000;
  // The last day is the one `until` falls in (the day before, when `until` is a midnight).
  const firstDay = Math.floor((until - 1) / dayMs) - days + 1;
  const out: SeedAudit[] = [];
  for (let d = 0; d < days; d++) {
    const dayStart = (firstDay + d) * dayMs;
    const weekend = [0, 6].includes(new Date(dayStart).getUTCDay());
    for (let k = 0; k < perDay; k++) {
      const at = dayStart + 8 * 3_600_000 + Math.floor(((k + random()) * 12 * 3_600_000) / perDay);
      if (at >= until) continue;
      for (let i = 0; i < aisles; i++) {
        const base = 0.02 + 0.12 * (aisles > 1 ? i / (aisles - 1) : 0) ** 2;
        const drift = 1 + 0.5 * Math.sin((2 * Math.PI * (d + 7 * i)) / 120);
        const pEmpty = Math.min(0.5, base * drift * (weekend ? 1.3 : 1));
        out.push(audit(options.storeId, name(i), new Date(at).toISOString(), pEmpty, random));
      }
    }
  }
  return out;
}

function audit(storeId: string, aisle: string, createdAt: string, pEmpty: number, random: () => number) {
  const rows: NewAudit['rows'] = [];
  const detections: NewAudit['detections'] = [];
  for (let r = 0; r < 4; r++) {
    const y1 = 80 + r * 280;
    const y2 = y1 + 230;
    const filled = Array.from({ length: SLOTS }, () => random() >= pEmpty);
    if (!filled.includes(true)) filled[Math.floor(random() * SLOTS)] = true; // a row is seen by its products
    const boxes: [number, number, number, number][] = [];
    const gaps: [number, number, number, number][] = [];
    for (let s = 0; s < SLOTS; s++) {
      const x1 = 40 + s * (SLOT_W + 10);
      if (filled[s]) {
        const box: [number, number, number, number] = [x1, y1 + 10, x1 + SLOT_W, y2];
        boxes.push(box);
        detections.push({
          box,
          score: Math.round((0.55 + 0.44 * random()) * 1000) / 1000,
          label: 'product',
          row: r,
        });
      } else if (s > 0 && !filled[s - 1] && gaps.length > 0) {
        gaps[gaps.length - 1]![2] = x1 + SLOT_W;
      } else gaps.push([x1, y1 + 10, x1 + SLOT_W, y2]);
    }
    // Gaps are the empty stretches between products: none before the first or after the last.
    const left = boxes[0]![0];
    const right = boxes[boxes.length - 1]![2];
    const inner = gaps.filter((g) => g[0] > left && g[2] < right);
    rows.push({
      box: [left, y1 + 10, right, y2],
      line: [
        [left, y2],
        [right, y2],
      ],
      count: boxes.length,
      gaps: inner,
    });
  }
  return {
    storeId,
    aisle,
    note: 'synthetic (shelfwatch seed)',
    apiKeyName: 'seed',
    model: { name: 'synthetic', version: 'seed' },
    count: detections.length,
    rows,
    detections,
    image: {
      width: WIDTH,
      height: HEIGHT,
      sha256: createHash('sha256').update(`${storeId}/${aisle}/${createdAt}`).digest('hex'),
    },
    createdAt,
  } satisfies SeedAudit;
}
