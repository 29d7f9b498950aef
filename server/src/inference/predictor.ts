import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  type DecodedImage,
  DetectionPipeline,
  type DetectOptions,
  type ModelInput,
  type ModelOutput,
  type PredictResult,
} from '@shelfwatch/shared';
import * as ort from 'onnxruntime-node';
import { type DecodeOptions, decodeUpright } from './decode-image.js';
import { type ModelDescription, type ModelManifest, readModel } from './model-files.js';

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

/**
 * The server's adapter to the shared pipeline: sharp decodes the photo upright (once, within the
 * decode limits), onnxruntime-node runs the session; everything between (letterbox, tensor, boxes,
 * NMS, rows) is the shared `DetectionPipeline`, the same code the PWA runs. Used by the piscina
 * worker, the CLI and the model evaluation, so all three give the same numbers. `predict` blocks its
 * thread during `session.run` (onnxruntime-node runs the native call synchronously,
 * microsoft/onnxruntime#19611): call it from a worker thread on a server.
 */
export class Predictor {
  private constructor(
    readonly model: ModelDescription,
    private readonly session: ort.InferenceSession,
    readonly pipeline: DetectionPipeline,
    private readonly limits: DecodeOptions,
  ) {}

  static async create(options: PredictorOptions): Promise<Predictor> {
    const model = await readModel(options.modelPath, options.manifest ?? null);
    const session = await ort.InferenceSession.create(await readFile(options.modelPath), {
      intraOpNumThreads: options.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;
    const pipeline = new DetectionPipeline(model, async (input, dims) => {
      const outputs = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) });
      const out = outputs[outputName]!;
      return { data: out.data as Float32Array, dims: out.dims };
    });
    return new Predictor(model, session, pipeline, {
      maxPixels: options.maxPixels,
      maxAspectRatio: options.maxAspectRatio,
      timeoutSeconds: options.decodeTimeoutSeconds,
    });
  }

  /** Decodes a photo upright with sharp; `ms` is reported as `timingsMs.decode`. */
  async decode(bytes: Uint8Array): Promise<{ image: DecodedImage; ms: number }> {
    const t0 = performance.now();
    const image = await decodeUpright(bytes, this.limits);
    return { image, ms: performance.now() - t0 };
  }

  /** Runs one photo; boxes come back in the upright source image's pixels. */
  async predict(bytes: Uint8Array, options: DetectOptions = {}): Promise<PredictResult> {
    const { image, ms } = await this.decode(bytes);
    return this.pipeline.detect(image, options, ms);
  }

  /** The model input and the raw model output of a photo (evaluations sweep thresholds over it). */
  async infer(bytes: Uint8Array): Promise<{ image: DecodedImage; input: ModelInput; output: ModelOutput }> {
    const { image } = await this.decode(bytes);
    return { image, ...(await this.pipeline.infer(image)) };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
