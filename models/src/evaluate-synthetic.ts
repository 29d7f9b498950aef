import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type BoxXyxy,
  type EvaluationResult,
  evaluateDetections,
  postprocess,
  type RawDetection,
} from '@shelfwatch/shared';
import type { Detector, RawOutput } from './detector.js';

/** A rendered split: `labels.json` as written by `shelfwatch_train.render`. */
export interface SyntheticSet {
  dir: string;
  images: { file: string; boxes: BoxXyxy[] }[];
}

export function readSyntheticSet(labelsJson: string, limit?: number): SyntheticSet {
  const j = JSON.parse(readFileSync(labelsJson, 'utf8')) as { images: { file: string; boxes: BoxXyxy[] }[] };
  return { dir: dirname(labelsJson), images: limit ? j.images.slice(0, limit) : j.images };
}

/** Raw model outputs of a set, kept so thresholds can be swept without rerunning the model. */
export interface RawOutputs {
  outputs: RawOutput[];
}

/** Runs every photo once through the shared pipeline, keeping the raw outputs. */
export async function runSet(det: Detector, files: readonly string[]): Promise<RawOutputs> {
  const outputs: RawOutput[] = [];
  for (const f of files) outputs.push(await det.infer(f));
  return { outputs };
}

/** The pipeline's post-processing (`postprocess`: decode, NMS, labels) at one set of thresholds. */
export function detectAll(
  raw: RawOutputs,
  conf: number,
  iou: number,
  maxDetections: number,
): RawDetection[][] {
  return raw.outputs.map((o) =>
    postprocess(o.data, o.dims, { letterbox: o.letterbox, conf, iou, maxDetections }),
  );
}

/**
 * AP50, AP50:95 and count error on a synthetic split. AP uses every candidate above 0.001;
 * precision, recall and count error use `conf`. `maxDetections` is generous: renders hold up to ~1000 products.
 */
export function scoreSynthetic(
  set: SyntheticSet,
  raw: RawOutputs,
  conf: number,
  iou: number,
  maxDetections = 1500,
): EvaluationResult {
  const preds = detectAll(raw, 0.001, iou, maxDetections);
  return evaluateDetections(
    preds,
    set.images.map((i) => i.boxes),
    { scoreThreshold: conf },
  );
}

export function syntheticFiles(set: SyntheticSet): string[] {
  return set.images.map((i) => join(set.dir, i.file));
}
