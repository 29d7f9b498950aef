import { DEFAULT_CONF } from './defaults.js';
import { iouRaw } from './nms.js';
import type { BoxXyxy } from './types.js';
import { assertBox, assertFinite, assertInRange, describe } from './validate.js';

/** A prediction to evaluate (a `Detection` fits). */
export interface ScoredBox {
  box: Readonly<BoxXyxy>;
  score: number;
  label?: string;
}

/**
 * A ground-truth object: a bare box or `{box, label}`. Evaluation is per class only when every
 * ground-truth object has a label; otherwise all labels (predictions' too) are ignored.
 */
export type GroundTruthBox = Readonly<BoxXyxy> | { box: Readonly<BoxXyxy>; label?: string };

/** Options of {@link evaluateDetections}. */
export interface EvaluateOptions {
  /** Predictions below this score are ignored for precision, recall and count error (AP uses all). @default DEFAULT_CONF (0.3) */
  scoreThreshold?: number;
}

/** Detection quality over a set of images. */
export interface EvaluationResult {
  /** COCO AP at IoU 0.50 (101-point interpolated), mean over classes with ground truth; NaN if there is none. */
  ap50: number;
  /** COCO AP averaged over IoU 0.50:0.05:0.95; NaN if there is no ground truth. */
  ap5095: number;
  /** AP at each IoU threshold 0.50, 0.55, ..., 0.95. */
  apPerIou: number[];
  /** TP / (TP + FP) at IoU 0.5 and `scoreThreshold`; 0 when nothing was predicted but objects exist, 1 when neither. */
  precision: number;
  /** TP / (TP + FN) at IoU 0.5 and `scoreThreshold`; 1 when there are no objects. */
  recall: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  /** Mean over images (NaN when there are none) of |predicted count (score >= threshold) - true count|. */
  countMae: number;
  /** Mean over images with at least one object of |count error| / true count, in percent; NaN if no image has objects. */
  countMape: number;
  /** Number of images. */
  images: number;
  /** Total ground-truth objects. */
  groundTruth: number;
}

/** IoU thresholds 0.50:0.05:0.95 (COCO). */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from(
  { length: 10 },
  (_, i) => Math.round((0.5 + i * 0.05) * 100) / 100,
);

interface Obj {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: string;
}
interface Pred extends Obj {
  score: number;
  image: number;
}

/**
 * Greedy COCO matching within one image: predictions by score (highest first) each take the
 * unmatched same-class ground truth with the highest IoU, if that IoU >= `threshold`.
 * @returns per prediction (in the given order) whether it is a true positive
 */
function matchImage(preds: readonly Pred[], gts: readonly Obj[], threshold: number): boolean[] {
  const used = new Uint8Array(gts.length);
  return preds.map((p) => {
    let best = -1;
    let bestIou = threshold;
    for (let g = 0; g < gts.length; g++) {
      const t = gts[g]!;
      if (used[g] || t.label !== p.label) continue;
      const iou = iouRaw(p.x1, p.y1, p.x2, p.y2, t.x1, t.y1, t.x2, t.y2);
      if (iou >= bestIou) {
        // >= so an IoU exactly at the threshold matches, as in pycocotools; first best wins ties.
        if (best < 0 || iou > bestIou) {
          best = g;
          bestIou = iou;
        }
      }
    }
    if (best < 0) return false;
    used[best] = 1;
    return true;
  });
}

/** 101-point interpolated AP from TP flags of score-sorted predictions (pycocotools `accumulate`). */
function averagePrecision(tp: readonly boolean[], nGt: number): number {
  const n = tp.length;
  const precision = new Float64Array(n);
  const recall = new Float64Array(n);
  let ctp = 0;
  for (let i = 0; i < n; i++) {
    if (tp[i]) ctp++;
    precision[i] = ctp / (i + 1);
    recall[i] = ctp / nGt;
  }
  for (let i = n - 2; i >= 0; i--) precision[i] = Math.max(precision[i]!, precision[i + 1]!);
  let sum = 0;
  let j = 0;
  for (let k = 0; k <= 100; k++) {
    const r = k / 100;
    while (j < n && recall[j]! < r) j++; // first index with recall >= r (searchsorted left)
    sum += j < n ? precision[j]! : 0;
  }
  return sum / 101;
}

function toObj(where: string, b: unknown, label: unknown): Obj {
  assertBox(where, b);
  if (label !== undefined && typeof label !== 'string') {
    throw new TypeError(`${where} label must be a string, got ${describe(label)}`);
  }
  return { x1: b[0]!, y1: b[1]!, x2: b[2]!, y2: b[3]!, label: label ?? '' };
}

/**
 * Evaluates detections against ground truth, COCO style, with one implementation for the model
 * pipeline and the benchmarks. Differences from pycocotools: no area ranges, no crowd boxes and no
 * per-image detection cap (dense shelves hold more than COCO's 100).
 * @param predictions per image, the predicted boxes with scores
 * @param groundTruth per image (same order and length), the true boxes
 * @throws {TypeError|RangeError} when the lists differ in length or hold malformed boxes/scores
 */
export function evaluateDetections(
  predictions: readonly (readonly ScoredBox[])[],
  groundTruth: readonly (readonly GroundTruthBox[])[],
  options: EvaluateOptions = {},
): EvaluationResult {
  if (!Array.isArray(predictions))
    throw new TypeError(`predictions must be an array (per image), got ${describe(predictions)}`);
  if (!Array.isArray(groundTruth))
    throw new TypeError(`groundTruth must be an array (per image), got ${describe(groundTruth)}`);
  if (predictions.length !== groundTruth.length) {
    throw new RangeError(
      `predictions and groundTruth must list the same images, got ${predictions.length} and ${groundTruth.length}`,
    );
  }
  const scoreThreshold = options.scoreThreshold ?? DEFAULT_CONF;
  assertInRange('scoreThreshold', scoreThreshold, 0, 1);

  const images = predictions.length;
  const gts: Obj[][] = [];
  const preds: Pred[][] = [];
  const nGtByLabel = new Map<string, number>();
  let totalGt = 0;
  for (let im = 0; im < images; im++) {
    const g = groundTruth[im];
    const p = predictions[im];
    if (!Array.isArray(g)) throw new TypeError(`groundTruth[${im}] must be an array, got ${describe(g)}`);
    if (!Array.isArray(p)) throw new TypeError(`predictions[${im}] must be an array, got ${describe(p)}`);
    gts.push(
      g.map((t: GroundTruthBox, k) => {
        const isBare = Array.isArray(t) || ArrayBuffer.isView(t);
        const o = isBare
          ? toObj(`groundTruth[${im}][${k}]`, t, undefined)
          : toObj(
              `groundTruth[${im}][${k}].box`,
              (t as { box: unknown })?.box,
              (t as { label?: unknown })?.label,
            );
        nGtByLabel.set(o.label, (nGtByLabel.get(o.label) ?? 0) + 1);
        return o;
      }),
    );
    totalGt += g.length;
    const ps = p.map((d: ScoredBox, k): Pred => {
      const o = toObj(`predictions[${im}][${k}].box`, d?.box, d?.label);
      assertFinite(`predictions[${im}][${k}].score`, d.score);
      return { ...o, score: d.score, image: im };
    });
    // Stable sort: equal scores keep input order, like pycocotools' mergesort.
    ps.sort((a, b) => b.score - a.score);
    preds.push(ps);
  }

  // Class-aware only when every ground-truth box is labelled; otherwise labels are ignored everywhere
  // (bare GT boxes against labelled `Detection`s would otherwise never match).
  if (nGtByLabel.has('')) {
    for (const list of [...gts, ...preds]) for (const o of list) o.label = '';
    nGtByLabel.clear();
    if (totalGt > 0) nGtByLabel.set('', totalGt);
  }

  // AP per IoU threshold: match per image, then rank all predictions of a class together.
  const labels = [...nGtByLabel.keys()];
  const apPerIou = COCO_IOU_THRESHOLDS.map((thr) => {
    if (labels.length === 0) return Number.NaN;
    let sum = 0;
    for (const label of labels) {
      const flagged: { score: number; tp: boolean; order: number }[] = [];
      for (let im = 0; im < images; im++) {
        const ps = preds[im]!.filter((q) => q.label === label);
        const tp = matchImage(ps, gts[im]!, thr);
        ps.forEach((q, k) => {
          flagged.push({ score: q.score, tp: tp[k]!, order: flagged.length });
        });
      }
      flagged.sort((a, b) => b.score - a.score || a.order - b.order);
      sum += averagePrecision(
        flagged.map((f) => f.tp),
        nGtByLabel.get(label)!,
      );
    }
    return sum / labels.length;
  });

  let tp = 0;
  let fp = 0;
  let absErr = 0;
  let pctErr = 0;
  let pctImages = 0;
  for (let im = 0; im < images; im++) {
    const ps = preds[im]!.filter((q) => q.score >= scoreThreshold);
    const hits = matchImage(ps, gts[im]!, 0.5).filter(Boolean).length;
    tp += hits;
    fp += ps.length - hits;
    const nGt = gts[im]!.length;
    const err = Math.abs(ps.length - nGt);
    absErr += err;
    if (nGt > 0) {
      pctErr += (100 * err) / nGt;
      pctImages++;
    }
  }
  const fn = totalGt - tp;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    ap50: apPerIou[0]!,
    ap5095: labels.length === 0 ? Number.NaN : mean(apPerIou),
    apPerIou,
    precision: tp + fp === 0 ? (totalGt === 0 ? 1 : 0) : tp / (tp + fp),
    recall: totalGt === 0 ? 1 : tp / totalGt,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    countMae: images === 0 ? Number.NaN : absErr / images,
    countMape: pctImages === 0 ? Number.NaN : pctErr / pctImages,
    images,
    groundTruth: totalGt,
  };
}
