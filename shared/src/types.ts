/** A box as `[x1, y1, x2, y2]` (top-left, bottom-right corners), in pixels unless a name says otherwise. */
export type BoxXyxy = [number, number, number, number];

/** One detected product, in the original (EXIF-upright) image's pixels. */
export interface Detection {
  box: BoxXyxy;
  /** Confidence in 0..1. */
  score: number;
  /** Class name from the model's metadata (`product` for the shipped model). */
  label: string;
}

/** One shelf row: products whose vertical extents overlap, and the empty stretches between them. */
export interface ShelfRow {
  /** Union of the row's product boxes. */
  box: BoxXyxy;
  count: number;
  /** Horizontal empty stretches inside the row (likely out-of-stock), as boxes. */
  gaps: BoxXyxy[];
}

/** Rows sorted top to bottom. */
export interface ShelfAnalysis {
  rows: ShelfRow[];
}

/** Milliseconds spent in each stage of one prediction. */
export interface StageTimings {
  decode: number;
  preprocess: number;
  inference: number;
  postprocess: number;
  total: number;
}

export interface ModelInfo {
  name: string;
  version: string;
}

/** The `POST /predict` response body (DESIGN.md API contract); the PWA produces the same shape on device. */
export interface PredictResult {
  model: ModelInfo;
  image: { width: number; height: number };
  count: number;
  detections: Detection[];
  shelf: ShelfAnalysis;
  timingsMs: StageTimings;
}
