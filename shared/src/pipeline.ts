import { type DetectOptions, resolveDetectOptions } from './detect-options.js';
import { computeLetterbox, type Letterbox } from './letterbox.js';
import { assertDecodedImage, type DecodedImage, letterboxInPlace } from './letterbox-tensor.js';
import type { ModelSpec } from './model-spec.js';
import { postprocess } from './postprocess.js';
import { attachShelfRows } from './shelf-rows.js';
import type { PredictResult, StageTimings } from './types.js';
import { describe } from './validate.js';

// High-resolution time is WHATWG/W3C, not ECMAScript, but Node, browsers and workers all have it.
declare const performance: { now(): number };

/** A model output in the Ultralytics YOLOv8 layout `[1, 4 + nc, N]`. */
export interface ModelOutput {
  data: Float32Array;
  dims: readonly number[];
  /** Frees the runtime's tensor once the pipeline has read it (onnxruntime-web). */
  dispose?(): void;
}

/**
 * The session adapter: runs the model on one input tensor (`[1, 3, height, width]` float32). The
 * server wraps onnxruntime-node, the PWA onnxruntime-web; the pipeline owns everything around it.
 */
export type RunModel = (input: Float32Array, dims: readonly [1, 3, number, number]) => Promise<ModelOutput>;

/** A model input built from a photo, with the geometry to map boxes back. */
export interface ModelInput {
  /** `[1, 3, height, width]` float32: the pipeline's buffer, overwritten by the next call. */
  tensor: Float32Array;
  dims: readonly [1, 3, number, number];
  letterbox: Letterbox;
  /** ms: letterbox resample fused with the CHW layout and normalisation. */
  resizeMs: number;
  /** ms: copying the kernel's output into the session's input tensor. */
  tensorMs: number;
}

/** The stages of `timingsMs` (besides `total`), in pipeline order: metric labels and dashboards use them. */
export const PIPELINE_STAGES = ['decode', 'resize', 'tensor', 'inference', 'postprocess'] as const;

const ms = (v: number) => Math.round(v * 100) / 100;

/**
 * The one detection pipeline of the phone and the server: from decoded upright pixels to the
 * `PredictResult`. Letterbox + tensor (`letterboxTensor`, WebAssembly SIMD), the model (through the
 * adapter's `run`), then decoding, NMS, labels, shelf rows and gaps. Apps only decode and run sessions.
 *
 * Timings (`timingsMs`), one meaning everywhere: `decode` photo bytes to upright pixels (given by the
 * adapter), `resize` letterbox resample fused with layout and `/255`, `tensor` filling the session's
 * input, `inference` the adapter's `run`, `postprocess` boxes, NMS, rows and gaps, `total` their sum
 * as wall time. One pipeline serves one call at a time (its input buffer is reused).
 */
export class DetectionPipeline {
  private readonly input: Float32Array;
  private readonly dims: readonly [1, 3, number, number];

  constructor(
    readonly model: ModelSpec,
    private readonly run: RunModel,
  ) {
    if (model === null || typeof model !== 'object')
      throw new TypeError(`model must be a ModelSpec, got ${describe(model)}`);
    if (typeof run !== 'function') throw new TypeError(`run must be a function, got ${describe(run)}`);
    const [h, w] = model.imgsz;
    this.dims = [1, 3, h, w];
    this.input = new Float32Array(3 * h * w);
  }

  /** Letterboxes a decoded photo into the model input (the pipeline's buffer, reused by the next call). */
  prepare(image: DecodedImage): ModelInput {
    assertDecodedImage(image);
    const t0 = performance.now();
    const [, , h, w] = this.dims;
    const letterbox = computeLetterbox(image.width, image.height, w, h);
    const view = letterboxInPlace(image, letterbox);
    const t1 = performance.now();
    this.input.set(view);
    const t2 = performance.now();
    return { tensor: this.input, dims: this.dims, letterbox, resizeMs: t1 - t0, tensorMs: t2 - t1 };
  }

  /** Prepares the input and runs the model: the raw output, for tools that sweep thresholds over it. */
  async infer(image: DecodedImage): Promise<{ input: ModelInput; output: ModelOutput; inferenceMs: number }> {
    const input = this.prepare(image);
    const t0 = performance.now();
    const output = await this.run(input.tensor, input.dims);
    return { input, output, inferenceMs: performance.now() - t0 };
  }

  /**
   * Detects the products on a decoded photo: boxes in its pixels, rows (from the boxes alone, as
   * `attachShelfRows` groups them), gaps and stage timings.
   * @param decodeMs time the adapter spent decoding the photo, reported as `timingsMs.decode`
   * @throws {TypeError|RangeError} on a malformed image or option, or a model output of the wrong shape
   */
  async detect(image: DecodedImage, options: DetectOptions = {}, decodeMs = 0): Promise<PredictResult> {
    const thresholds = resolveDetectOptions(options);
    const t0 = performance.now();
    const { input, output, inferenceMs } = await this.infer(image);
    const t1 = performance.now();
    let found: ReturnType<typeof postprocess>;
    try {
      found = postprocess(output.data, output.dims, {
        ...thresholds,
        letterbox: input.letterbox,
        names: this.model.names,
      });
    } finally {
      output.dispose?.();
    }
    const { detections, shelf } = attachShelfRows(found);
    const t2 = performance.now();
    const timingsMs: StageTimings = {
      decode: ms(decodeMs),
      resize: ms(input.resizeMs),
      tensor: ms(input.tensorMs),
      inference: ms(inferenceMs),
      postprocess: ms(t2 - t1),
      total: ms(decodeMs + t2 - t0),
    };
    return {
      model: { name: this.model.name, version: this.model.version },
      image: { width: image.width, height: image.height },
      count: detections.length,
      detections,
      shelf,
      timingsMs,
    };
  }
}
