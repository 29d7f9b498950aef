import { readFile } from 'node:fs/promises';
import { Predictor } from '@shelfwatch/server/inference';
import type { DetectOptions, Letterbox, PredictResult } from '@shelfwatch/shared';
import { median } from './real-proxy.js';

/** One photo's raw model output and the letterbox it was made with (thresholds are swept over it). */
export interface RawOutput {
  data: Float32Array;
  dims: readonly number[];
  letterbox: Letterbox;
}

/**
 * The evaluation's detector: the server's own adapter (sharp decode, onnxruntime-node, the shared
 * `DetectionPipeline`), so that the model card and the CI accuracy floor measure exactly what the
 * server and the PWA run.
 */
export class Detector {
  private constructor(private readonly predictor: Predictor) {}

  /** @param threads intra-op threads of the session */
  static async load(path: string, threads = 1): Promise<Detector> {
    return new Detector(
      await Predictor.create({ modelPath: path, manifest: null, intraOpThreads: threads, maxPixels: 1e9 }),
    );
  }

  /** Model input `[height, width]`, from the model's metadata. */
  get imgsz(): [number, number] {
    return this.predictor.model.imgsz;
  }

  /** The raw output for a photo (file or bytes). */
  async infer(photo: string | Uint8Array): Promise<RawOutput> {
    const bytes = typeof photo === 'string' ? await readFile(photo) : photo;
    const { input, output } = await this.predictor.infer(bytes);
    return { data: Float32Array.from(output.data), dims: output.dims, letterbox: input.letterbox };
  }

  /** The whole pipeline's result for a photo: detections with rows, rows, timings. */
  async detect(photo: string | Uint8Array, options: DetectOptions = {}): Promise<PredictResult> {
    return this.predictor.predict(typeof photo === 'string' ? await readFile(photo) : photo, options);
  }

  /** Median `session.run` time (the pipeline's `inference` stage) over `runs` runs on a grey photo. */
  async inferenceMs(runs: number): Promise<number> {
    const [h, w] = this.imgsz;
    const grey = { data: new Uint8Array(w * h * 3).fill(115), width: w, height: h, channels: 3 as const };
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const r = await this.predictor.pipeline.infer(grey);
      if (i >= 2) times.push(r.inferenceMs);
    }
    return median(times);
  }

  async release(): Promise<void> {
    await this.predictor.release();
  }
}
