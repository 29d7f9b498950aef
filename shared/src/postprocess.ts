import { decodeYolo } from './decode-yolo.js';
import { DEFAULT_CONF, DEFAULT_IOU, DEFAULT_MAX_DETECTIONS } from './defaults.js';
import type { Letterbox } from './letterbox.js';
import { nms } from './nms.js';
import type { RawDetection } from './types.js';
import { assertInRange, assertInteger, describe } from './validate.js';

/** Options of {@link postprocess}. */
export interface PostprocessOptions {
  /** The letterbox the input tensor was built with. */
  letterbox: Letterbox;
  /** Score threshold in 0..1. @default DEFAULT_CONF (0.25) */
  conf?: number;
  /** NMS IoU threshold in 0..1. @default DEFAULT_IOU (0.45) */
  iou?: number;
  /** Most detections returned. @default DEFAULT_MAX_DETECTIONS (300) */
  maxDetections?: number;
  /** Class names by class index (from the model metadata); a missing name becomes `class{i}`. @default [] */
  names?: readonly string[];
}

/** Rounds to `digits` decimals so JSON stays readable (float32 noise such as 12.300000190734863). */
function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Decodes a YOLOv8 output, runs class-aware NMS and labels the result: the one post-processing path
 * the phone and the server share, so that one image gives one count.
 * Box coordinates are rounded to 0.01 px and scores to 1e-5.
 * @param output the model output tensor data, layout `[1, 4 + nc, N]`
 * @param dims the output tensor's dims
 * @returns detections in source-image pixels, highest score first, without rows (see `attachShelfRows`)
 * @throws {TypeError|RangeError} on a wrong shape, data length or option
 */
export function postprocess(
  output: Float32Array | Float64Array,
  dims: readonly number[],
  options: PostprocessOptions,
): RawDetection[] {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const {
    letterbox,
    conf = DEFAULT_CONF,
    iou = DEFAULT_IOU,
    maxDetections = DEFAULT_MAX_DETECTIONS,
  } = options;
  // Checked here too, so that messages use this function's option names (`conf`, not `confThreshold`).
  assertInRange('conf', conf, 0, 1);
  assertInRange('iou', iou, 0, 1);
  assertInteger('maxDetections', maxDetections, 0);
  const names = options.names ?? [];
  if (!Array.isArray(names)) throw new TypeError(`names must be an array of strings, got ${describe(names)}`);
  const c = decodeYolo(output, dims, { confThreshold: conf, letterbox });
  const keep = nms(c.boxes, c.scores, c.classIds, c.count, { iouThreshold: iou, maxDetections });
  const detections: RawDetection[] = new Array(keep.length);
  for (let k = 0; k < keep.length; k++) {
    const i = keep[k]!;
    const o = i * 4;
    const cls = c.classIds[i]!;
    detections[k] = {
      box: [
        round(c.boxes[o]!, 2),
        round(c.boxes[o + 1]!, 2),
        round(c.boxes[o + 2]!, 2),
        round(c.boxes[o + 3]!, 2),
      ],
      score: round(c.scores[i]!, 5),
      label: names[cls] ?? `class${cls}`,
    };
  }
  return detections;
}
