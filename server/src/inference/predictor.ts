import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  attachShelfRows,
  DEFAULT_CONF,
  DEFAULT_IOU,
  DEFAULT_MAX_DETECTIONS,
  type PredictResult,
  pixelsToChw,
  postprocess,
} from '@shelfwatch/shared';
import * as ort from 'onnxruntime-node';
import { type DecodeOptions, decodeLetterboxed, type LetterboxedImage } from './decode-image.js';
import { describeModel, type ModelDescription, type ModelManifest } from './model-files.js';

/** Per-request thresholds (the `/predict` query). */
export interface PredictOptions {
  conf?: number;
  iou?: number;
  maxDetections?: number;
}

export interface PredictorOptions {
  modelPath: string;
  manifest?: ModelManifest | null;
  /** onnxruntime intra-op threads. */
  intraOpThreads: number;
  maxPixels: number;
  /** Largest long side / short side (MAX_ASPECT_RATIO). */
  maxAspectRatio?: number;
  /** Deadline of each decode in whole seconds (DECODE_TIMEOUT_SECONDS); 0 = none. */
  decodeTimeoutSeconds?: number;
}

/** The limits every decode of a Predictor runs under. */
type DecodeLimits = Omit<DecodeOptions, 'inputWidth' | 'inputHeight'>;

/**
 * The whole server-side pipeline for one image: sharp decode + letterbox, CHW tensor, ONNX run,
 * shared postprocess and shelf analysis. Used by the piscina worker and by the CLI, so both give
 * the same numbers. `predict` blocks its thread during `session.run` (onnxruntime-node runs the
 * native call synchronously, microsoft/onnxruntime#19611): call it from a worker thread on a server.
 */
export class Predictor {
  private chw: Float32Array;

  private constructor(
    readonly model: ModelDescription,
    private readonly session: ort.InferenceSession,
    private readonly limits: DecodeLimits,
  ) {
    const [h, w] = model.imgsz;
    this.chw = new Float32Array(3 * h * w);
  }

  static async create(options: PredictorOptions): Promise<Predictor> {
    const model = await describeModel(options.modelPath, options.manifest ?? null);
    const session = await ort.InferenceSession.create(await readFile(options.modelPath), {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new Predictor(model, session, {
      maxPixels: options.maxPixels,
      maxAspectRatio: options.maxAspectRatio,
      timeoutSeconds: options.decodeTimeoutSeconds,
    });
  }

  /** Runs one image; boxes come back in the upright source image's pixels. */
  async predict(bytes: Uint8Array, options: PredictOptions = {}): Promise<PredictResult> {
    const [inputHeight, inputWidth] = this.model.imgsz;
    const t0 = performance.now();
    const image = await decodeLetterboxed(bytes, { inputWidth, inputHeight, ...this.limits });
    return this.predictLetterboxed(image, options, performance.now() - t0);
  }

  /**
   * Runs an image that is already letterboxed to the model input (RGB bytes). `predict` uses it after
   * sharp; tests feed it the shared core's reference resampler to check that both agree.
   * @param decodeMs time already spent decoding, reported as `timingsMs.decode`
   */
  async predictLetterboxed(
    image: Pick<LetterboxedImage, 'width' | 'height' | 'letterbox' | 'rgb'>,
    options: PredictOptions = {},
    decodeMs = 0,
  ): Promise<PredictResult> {
    const [inputHeight, inputWidth] = this.model.imgsz;
    const t1 = performance.now();
    pixelsToChw(image.rgb, inputWidth, inputHeight, 3, this.chw);
    const input = new ort.Tensor('float32', this.chw, [1, 3, inputHeight, inputWidth]);
    const t2 = performance.now();
    const outputs = await this.session.run({ [this.session.inputNames[0]!]: input });
    const t3 = performance.now();
    const out = outputs[this.session.outputNames[0]!]!;
    const found = postprocess(out.data as Float32Array, out.dims, {
      letterbox: image.letterbox,
      conf: options.conf ?? DEFAULT_CONF,
      iou: options.iou ?? DEFAULT_IOU,
      maxDetections: options.maxDetections ?? DEFAULT_MAX_DETECTIONS,
      names: this.model.names,
    });
    const { detections, shelf } = attachShelfRows(found);
    const t4 = performance.now();
    const ms = (v: number) => Math.round(v * 100) / 100;
    return {
      model: { name: this.model.name, version: this.model.version },
      image: { width: image.width, height: image.height },
      count: detections.length,
      detections,
      shelf,
      timingsMs: {
        decode: ms(decodeMs),
        preprocess: ms(t2 - t1),
        inference: ms(t3 - t2),
        postprocess: ms(t4 - t3),
        total: ms(decodeMs + t4 - t1),
      },
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
