import { decodeYolo } from './decode-yolo.js';
import { type DetectOptions, resolveDetectOptions } from './detect-options.js';
import type { Letterbox } from './letterbox.js';
import { nms } from './nms.js';
import type { RawDetection } from './types.js';
import { describe } from './validate.js';

/** Options of {@link postprocess}: the thresholds plus what the model input was built with. */
export interface PostprocessOptions extends DetectOptions {
  /** The letterbox the input tensor was built with. */
  letterbox: Letterbox;
  /** Class names by class index (from the model metadata); a missing name becomes `class{i}`. @default [] */
  names?: readonly string[];
}

// Rounding keeps JSON readable (float32 noise such as 12.300000190734863): boxes to 0.01 px, scores to 1e-5.
const px = (v: number) => Math.round(v * 100) / 100;
const score = (v: number) => Math.round(v * 1e5) / 1e5;

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
  const { letterbox } = options;
  // Checked here too, so that messages use this function's option names (`conf`, not `confThreshold`).
  const { conf, iou, maxDetections } = resolveDetectOptions(options);
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
      box: [px(c.boxes[o]!), px(c.boxes[o + 1]!), px(c.boxes[o + 2]!), px(c.boxes[o + 3]!)],
      score: score(c.scores[i]!),
      label: names[cls] ?? `class${cls}`,
    };
  }
  return detections;
}
