/** A box as `[x1, y1, x2, y2]` (top-left, bottom-right corners), in pixels unless a name says otherwise. */
export type BoxXyxy = [number, number, number, number];

/** A point `[x, y]` in pixels. */
export type PointXy = [number, number];

/** One detected product as `postprocess` returns it, before shelf analysis gives it a row. */
export interface RawDetection {
  /** In the original (EXIF-upright) image's pixels. */
  box: BoxXyxy;
  /** Confidence in 0..1. */
  score: number;
  /** Class name from the model's metadata (`product` for the shipped model). */
  label: string;
}

/** One detected product, in the original (EXIF-upright) image's pixels, with its shelf row. */
export interface Detection extends RawDetection {
  /** Index of the detection's row in `shelf.rows` (0-based, rows sorted top to bottom). */
  row: number;
}

/** One shelf row: products standing on one shelf (or stacked on those), and the empty stretches between them. */
export interface ShelfRow {
  /** Union of the row's product boxes. */
  box: BoxXyxy;
  /**
   * The row's baseline `[[x1, y1], [x2, y2]]`: the robust line through its products' bottom edges,
   * from the left edge of its left-most product to the right edge of its right-most one. Rows may be
   * tilted and converge (perspective); draw them along this line.
   */
  line: [PointXy, PointXy];
  count: number;
  /** Empty stretches along the row (likely out-of-stock), as boxes over the row's line. */
  gaps: BoxXyxy[];
}

/** Rows sorted top to bottom. */
export interface ShelfAnalysis {
  rows: ShelfRow[];
}

/** Milliseconds spent in each stage of one prediction; the same meaning on the phone and the server. */
export interface StageTimings {
  /** Photo bytes to upright RGB(A) pixels (sharp on the server, `createImageBitmap` + canvas in the PWA). */
  decode: number;
  /** Letterbox resample fused with the CHW layout and `/255` (the shared WebAssembly SIMD kernel). */
  resize: number;
  /** Filling the session's input tensor from the kernel's output. */
  tensor: number;
  /** The model run (onnxruntime-node or onnxruntime-web). */
  inference: number;
  /** Decoding boxes, NMS, labels, shelf rows and gaps. */
  postprocess: number;
  /** Wall time of all of the above. */
  total: number;
}

export interface ModelInfo {
  name: string;
  version: string;
}

/** The `POST /predict` response body (docs/API.md); the PWA produces the same shape on device. */
export interface PredictResult {
  model: ModelInfo;
  image: { width: number; height: number };
  count: number;
  detections: Detection[];
  shelf: ShelfAnalysis;
  timingsMs: StageTimings;
}
