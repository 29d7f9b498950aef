/**
 * The shipped thresholds and constants, in one place so that the phone and the server agree.
 * The model engineer may tune `DEFAULT_CONF` / `DEFAULT_IOU` after measuring on the validation set.
 */

/**
 * Minimum class score for a candidate to be kept, in 0..1. 0.30 for `shelfwatch-det` 0.3.0: the
 * lowest per-row count error on the hand-counted SKU-110K rows (models/README.md). The GFL head's
 * scores are IoU estimates, so they sit lower than 0.2.0's (which shipped at 0.40).
 */
export const DEFAULT_CONF = 0.3;

/** NMS suppresses a same-class box whose IoU with a kept box is above this, in 0..1. */
export const DEFAULT_IOU = 0.45;

/**
 * Upper bound on detections returned per image. SKU-110K shelves hold up to ~700 products; a lower cap
 * undercounts exactly the dense shelves that matter.
 */
export const DEFAULT_MAX_DETECTIONS = 1000;

/** Largest `maxDetections` a caller may ask for. */
export const MAX_DETECTIONS_LIMIT = 10_000;

/** Grey value (0..255) of the letterbox padding, as in Ultralytics' `LetterBox` (114, 114, 114). */
export const LETTERBOX_PAD_VALUE = 114;

/** A gap in a shelf row is reported when it is wider than this factor x the median width of the products beside it. */
export const DEFAULT_GAP_FACTOR = 1.0;

/** Model input side in pixels when the ONNX metadata does not say (`imgsz`). */
export const DEFAULT_INPUT_SIZE = 640;

/** Model stride when the ONNX metadata does not say (`stride`). */
export const DEFAULT_STRIDE = 32;

/**
 * Largest image the server accepts by default, in decoded pixels (width x height): 16 MP bounds the
 * memory of one in-flight decode (see docs/SECURITY.md). Clients downscale to it before upload.
 */
export const DEFAULT_MAX_PIXELS = 16_777_216;

/** Largest request body / uploaded file the server accepts by default, in bytes (16 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
