import { DEFAULT_CONF, DEFAULT_IOU, DEFAULT_MAX_DETECTIONS, MAX_DETECTIONS_LIMIT } from './defaults.js';
import { assertInRange, assertInteger, describe } from './validate.js';

/** Per-request thresholds: the `/predict` query, the PWA worker's `detect` options, the CLI flags. */
export interface DetectOptions {
  /** Minimum class score in 0..1. @default DEFAULT_CONF (0.3) */
  conf?: number;
  /** NMS suppresses a same-class box overlapping a kept one by more than this IoU, in 0..1. @default DEFAULT_IOU (0.45) */
  iou?: number;
  /** Most detections returned, an integer in 0..10,000. @default DEFAULT_MAX_DETECTIONS (1,000) */
  maxDetections?: number;
}

/**
 * Fills the defaults in and checks the ranges.
 * @throws {TypeError|RangeError} naming the option that is out of range
 */
export function resolveDetectOptions(options: DetectOptions = {}): Required<DetectOptions> {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  const { conf = DEFAULT_CONF, iou = DEFAULT_IOU, maxDetections = DEFAULT_MAX_DETECTIONS } = options;
  assertInRange('conf', conf, 0, 1);
  assertInRange('iou', iou, 0, 1);
  assertInteger('maxDetections', maxDetections, 0);
  if (maxDetections > MAX_DETECTIONS_LIMIT)
    throw new RangeError(`maxDetections must be at most ${MAX_DETECTIONS_LIMIT}, got ${maxDetections}`);
  return { conf, iou, maxDetections };
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A number as option text (a query value, a command-line flag): decimal, as the API documents it,
 * or `undefined` for text `Number()` would also read (`0x1`, `0b11`, ` 2 `, the empty string, `Infinity`).
 */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}
