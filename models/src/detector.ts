import {
  computeLetterbox,
  LETTERBOX_PAD_VALUE,
  type Letterbox,
  parseModelMetadata,
  pixelsToChw,
  postprocess,
  type RawDetection,
} from '@shelfwatch/shared';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { readOnnxMetadata } from './onnx-metadata.js';

/** A letterboxed model input and the geometry to map boxes back. */
export interface Prepared {
  tensor: Float32Array;
  letterbox: Letterbox;
}

/**
 * Decodes an image the way the server does (sharp, EXIF-upright, RGB), resizes it into the
 * letterbox and pads with grey 114 (docs/ARCHITECTURE.md).
 */
export async function prepareImage(
  input: string | Buffer,
  inputW: number,
  inputH: number,
): Promise<Prepared> {
  const { data, info } = await sharp(input)
    .rotate()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const lb = computeLetterbox(info.width, info.height, inputW, inputH);
  const pad = { r: LETTERBOX_PAD_VALUE, g: LETTERBOX_PAD_VALUE, b: LETTERBOX_PAD_VALUE };
  const resized = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .resize(lb.newWidth, lb.newHeight, { fit: 'fill' })
    .extend({ top: lb.padTop, bottom: lb.padBottom, left: lb.padLeft, right: lb.padRight, background: pad })
    .raw()
    .toBuffer();
  return { tensor: pixelsToChw(new Uint8Array(resized), inputW, inputH, 3), letterbox: lb };
}

/** An onnxruntime-node session plus what its metadata says. */
export class Detector {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly imgsz: [number, number],
    readonly names: string[],
    readonly metadata: Record<string, string>,
  ) {}

  /** @param threads intra-op threads of the session */
  static async load(path: string, threads = 1): Promise<Detector> {
    const raw = readOnnxMetadata(path);
    const md = parseModelMetadata(raw);
    const session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new Detector(session, md.imgsz, md.names, raw);
  }

  /** Raw output `[1, 4 + nc, N]` for a prepared tensor. */
  async infer(tensor: Float32Array): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const [h, w] = this.imgsz;
    const feeds = { [this.session.inputNames[0]!]: new ort.Tensor('float32', tensor, [1, 3, h, w]) };
    const out = await this.session.run(feeds);
    const t = out[this.session.outputNames[0]!]!;
    return { data: t.data as Float32Array, dims: t.dims };
  }

  /** Detections in source pixels. */
  async detect(
    input: string | Buffer,
    conf: number,
    iou: number,
    maxDetections = 300,
  ): Promise<RawDetection[]> {
    const [h, w] = this.imgsz;
    const p = await prepareImage(input, w, h);
    const o = await this.infer(p.tensor);
    return postprocess(o.data, o.dims, {
      letterbox: p.letterbox,
      conf,
      iou,
      maxDetections,
      names: this.names,
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
