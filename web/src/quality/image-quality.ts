/**
 * Is this photo good enough to count? Cheap checks on the device, on a small grey copy of the photo
 * (long side `SAMPLE_SIDE`, what the detector sees) before inference, and on the detections after it:
 * - blur: variance of the Laplacian of the grey copy (low = few sharp edges),
 * - exposure: mean brightness and the share of crushed shadows / blown highlights,
 * - tilt: the slope of the shelf rows (their fitted `line` when the result has one, else a
 *   least-squares line through the bottoms of each row's products),
 * - products too small: median product height in model-input pixels (too far from the shelf).
 * Pure functions over typed arrays; the thresholds were measured on real shelf photos and on blurred,
 * dark and tilted copies of them (see web/README.md, "Photo quality").
 */
import {
  analyzeShelfWithMembers,
  type BoxXyxy,
  type Detection,
  type PredictResult,
  type ShelfRow,
} from '@shelfwatch/shared';

/** Long side of the grey copy the pre-inference checks run on (the model's input side). */
export const SAMPLE_SIDE = 640;

export type QualityCode = 'blurry' | 'dark' | 'bright' | 'tilted' | 'small' | 'empty';

export interface QualityWarning {
  code: QualityCode;
  /** What is wrong, in plain words. */
  text: string;
  /** How to take a better photo. */
  advice: string;
  /** The measured value that tripped the check (for the test hooks and the README). */
  value: number;
}

export interface QualityThresholds {
  /** Variance of the Laplacian below this is blurry. */
  minSharpness: number;
  /** Mean brightness (0..255) below this is too dark. */
  minMeanLuma: number;
  /** Mean brightness above this is too bright. */
  maxMeanLuma: number;
  /** Share of crushed shadows (luma <= 8) above this is too dark. */
  maxDarkShare: number;
  /** Share of blown highlights (luma >= 247) above this is too bright. */
  maxBrightShare: number;
  /** Median row slope above this many degrees is tilted. */
  maxTiltDeg: number;
  /** Median product height below this many model-input pixels is too far away. */
  minProductPx: number;
}

/**
 * Measured on 72 real shelf photos (SKU-110K, 2-12 MP) at SAMPLE_SIDE: sharpness 213-3820 (median
 * 1763), Gaussian blur sigma 1 / 2 px gives 39-171 / 11-32; mean luma 85-175, at 30 % brightness
 * 24-51; blown highlights <= 8 %, crushed shadows <= 6 %. On 8 of them through the server: row
 * slopes of the photos as taken within ±5.3°, rotated by 12° 10.8-12.2° for 5 of 8 (perspective
 * and merged rows hide the rest); median product height 31-77 px, zoomed out to 30 % 11-19 px.
 */
export const DEFAULT_QUALITY: QualityThresholds = {
  minSharpness: 100,
  minMeanLuma: 55,
  maxMeanLuma: 200,
  maxDarkShare: 0.35,
  maxBrightShare: 0.2,
  maxTiltDeg: 8,
  minProductPx: 20,
};

/** A grey image: one byte of luma per pixel. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Rec. 601 luma of RGBA pixels (integer maths). */
export function rgbaToGray(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): GrayImage {
  const n = width * height;
  if (rgba.length < n * 4) throw new RangeError(`rgba must hold ${n * 4} bytes, got ${rgba.length}`);
  const data = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    data[i] = (rgba[j]! * 77 + rgba[j + 1]! * 150 + rgba[j + 2]! * 29) >> 8;
  }
  return { data, width, height };
}

/** Variance of the 4-neighbour Laplacian over the interior pixels. O(width x height). */
export function laplacianVariance({ data, width, height }: GrayImage): number {
  if (width < 3 || height < 3) return 0;
  let sum = 0;
  let sumSq = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const i = row + x;
      const v = data[i - width]! + data[i + width]! + data[i - 1]! + data[i + 1]! - 4 * data[i]!;
      sum += v;
      sumSq += v * v;
    }
  }
  const n = (width - 2) * (height - 2);
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

export interface Exposure {
  meanLuma: number;
  /** Share of pixels <= 8. */
  darkShare: number;
  /** Share of pixels >= 247. */
  brightShare: number;
}

export function exposure({ data }: GrayImage): Exposure {
  let sum = 0;
  let dark = 0;
  let bright = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    sum += v;
    if (v <= 8) dark++;
    else if (v >= 247) bright++;
  }
  const n = Math.max(1, data.length);
  return { meanLuma: sum / n, darkShare: dark / n, brightShare: bright / n };
}

type Point = [number, number];
/** The rows contract's fitted baseline (optional until every stored audit has one). */
type RowWithLine = ShelfRow & { line?: [Point, Point] };

function median(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Least-squares slope of y on x; undefined when x does not vary. */
function slope(points: Point[]): number | undefined {
  const n = points.length;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  return sxx > 0 ? sxy / sxx : undefined;
}

/**
 * The slope of each shelf row in degrees (positive: right end lower): from the row's fitted `line`
 * when the result has one, else a least-squares line through the bottom centres of the row's
 * products (rows with 4+ products). Which products form a row comes from `Detection.row` when
 * present, else from the shared core's own grouping (which follows tilted shelves).
 */
export function rowAngles(result: Pick<PredictResult, 'detections' | 'shelf'>): number[] {
  const rows = result.shelf.rows as RowWithLine[];
  if (rows.length && rows.every((r) => r.line)) {
    return rows
      .map((r) => r.line!)
      .filter(([[x1], [x2]]) => x2 !== x1)
      .map(([[x1, y1], [x2, y2]]) => (Math.atan2(y2 - y1, x2 - x1) * 180) / Math.PI);
  }
  const dets = result.detections as (Detection & { row?: number })[];
  const rowOf = dets.every((d) => Number.isInteger(d.row))
    ? dets.map((d) => d.row!)
    : Array.from(analyzeShelfWithMembers(dets).rowOf);
  const members = new Map<number, Point[]>();
  dets.forEach(({ box }, i) => {
    const points = members.get(rowOf[i]!) ?? [];
    points.push([(box[0] + box[2]) / 2, box[3]]);
    members.set(rowOf[i]!, points);
  });
  const angles: number[] = [];
  for (const points of members.values()) {
    if (points.length < 4) continue;
    const m = slope(points);
    if (m !== undefined) angles.push((Math.atan(m) * 180) / Math.PI);
  }
  return angles;
}

/** Median product height in model-input pixels (the photo is letterboxed to `inputSide`). */
export function medianProductPx(
  boxes: readonly BoxXyxy[],
  imageW: number,
  imageH: number,
  inputSide: number,
): number {
  const scale = inputSide / Math.max(imageW, imageH);
  return median(boxes.map((b) => (b[3] - b[1]) * scale));
}

/**
 * Rows at the bottom of the grey copy that are one flat grey (neither black nor white clipping):
 * what a browser shows for the part of a damaged JPEG its decoder could not read. A real photo has
 * sensor noise in every row. Returns their share of the height.
 */
export function undecodedShare({ data, width, height }: GrayImage): number {
  let rows = 0;
  let value = -1;
  for (let y = height - 1; y >= 0; y--) {
    const row = data.subarray(y * width, (y + 1) * width);
    let min = 255;
    let max = 0;
    for (let x = 0; x < width; x++) {
      const v = row[x]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min > 1 || min <= 8 || max >= 247 || (value >= 0 && Math.abs(min - value) > 1)) break;
    value = min;
    rows++;
  }
  return rows / Math.max(1, height);
}

/** A photo with more than this share of flat rows at the bottom is refused as damaged. */
export const MAX_UNDECODED_SHARE = 0.03;

/** Checks on the grey copy, before inference. */
export function checkSample(gray: GrayImage, t: QualityThresholds = DEFAULT_QUALITY): QualityWarning[] {
  const out: QualityWarning[] = [];
  const e = exposure(gray);
  if (e.meanLuma < t.minMeanLuma || e.darkShare > t.maxDarkShare) {
    out.push({
      code: 'dark',
      text: 'The photo is too dark to see the products.',
      advice: 'Turn on the torch or move to better light.',
      value: Math.round(e.meanLuma),
    });
  } else if (e.meanLuma > t.maxMeanLuma || e.brightShare > t.maxBrightShare) {
    out.push({
      code: 'bright',
      text: 'The photo is too bright (washed out).',
      advice: 'Avoid glare: step aside from lights or turn off the torch.',
      value: Math.round(e.meanLuma),
    });
  }
  const sharpness = laplacianVariance(gray);
  // A dark photo has few edges too; say only the more useful thing.
  if (sharpness < t.minSharpness && !out.length) {
    out.push({
      code: 'blurry',
      text: 'The photo looks blurry.',
      advice: 'Hold the phone still and tap the screen to focus before taking it.',
      value: Math.round(sharpness),
    });
  }
  return out;
}

/** Checks on the detections, after inference. */
export function checkResult(
  result: Pick<PredictResult, 'detections' | 'shelf' | 'image'>,
  inputSide: number,
  t: QualityThresholds = DEFAULT_QUALITY,
): QualityWarning[] {
  if (!result.detections.length) {
    return [
      {
        code: 'empty',
        text: 'No products were found on this photo.',
        advice: 'Photograph the shelf from the front, filling the screen with it.',
        value: 0,
      },
    ];
  }
  const out: QualityWarning[] = [];
  const tilt = median(rowAngles(result));
  if (Math.abs(tilt) > t.maxTiltDeg) {
    out.push({
      code: 'tilted',
      text: `The shelf looks tilted by about ${Math.round(Math.abs(tilt))}°.`,
      advice: 'Hold the phone level, square to the shelf.',
      value: Math.round(tilt * 10) / 10,
    });
  }
  const px = medianProductPx(
    result.detections.map((d) => d.box),
    result.image.width,
    result.image.height,
    inputSide,
  );
  if (px < t.minProductPx) {
    out.push({
      code: 'small',
      text: 'The products look very small: the photo may be taken from too far away.',
      advice: 'Step closer so that one or two shelves fill the photo.',
      value: Math.round(px * 10) / 10,
    });
  }
  return out;
}
