// Seams in a shelf's edge strip, read off the photo's pixels (internal to the shelf-row modules, not
// re-exported): where a gondola upright or a door frame ends the shelf boards, the bright price strip
// below the products is cut by a thin dark line from its top to its bottom.
import type { DecodedImage } from './letterbox-tensor.js';
import { lineY, type RowLine } from './row-line.js';

/** The strip is read from this far below the row's line ... */
const STRIP_FROM = 0.03;
/** ... to this far, in the row's product heights. */
const STRIP_TO = 0.3;
/** Samples across the strip per column. */
const STRIP_SAMPLES = 12;
/**
 * A column's level is this quantile of its samples: a seam is dark across the whole strip, while a
 * barcode, a price or a tag's edge darkens only part of a column.
 */
const LEVEL_QUANTILE = 0.7;
/** A seam is at most this wide (2 x this, in product heights); the strip beside it is read ... */
const SEAM_HALF = 0.04;
/** ... out to this far on each side. */
const SIDE_REACH = 3;
/** A seam is darker than the strip on both sides by at least this many brightness levels ... */
const MIN_DEPTH = 30;
/** ... and by this share of the strip's level ... */
const MIN_CONTRAST = 0.15;
/**
 * ... and darker by this many levels than the strip's lower quartile (`FLOOR_QUANTILE` of its
 * columns): on a dark shelf edge with bright price labels the edge itself shows between the labels,
 * and a seam is darker than most of the strip.
 */
const FLOOR_DEPTH = 15;
const FLOOR_QUANTILE = 0.25;

/** A row as the seam finder sees it: its line, extent along x and median product height. */
export interface StripRow {
  line: RowLine;
  lo: number;
  hi: number;
  height: number;
}

/**
 * Brightness (0..255, the largest channel) of the pixel nearest `(x, y)`, or -1 outside the image: a
 * seam is dark in every channel, while a red arrow or a blue price tag is bright in one.
 */
function brightness(image: DecodedImage, x: number, y: number): number {
  const xi = Math.round(x);
  const yi = Math.round(y);
  if (xi < 0 || yi < 0 || xi >= image.width || yi >= image.height) return -1;
  const o = (yi * image.width + xi) * image.channels;
  const d = image.data;
  return Math.max(d[o]!, d[o + 1]!, d[o + 2]!);
}

/**
 * The x of the seams in the edge strip below a row: columns darker than the strip on both sides
 * (by `MIN_DEPTH` levels and `MIN_CONTRAST` of its level) and than most of the strip (`FLOOR_DEPTH`
 * below its lower quartile), at most `2 SEAM_HALF` product heights wide, each at the middle of its
 * stretch of dark columns. O(w s^2 + w log w) for a row w pixels long and `STRIP_SAMPLES` samples s
 * per column (a column every pixel, or every few on a very large photo).
 */
export function stripSeams(image: DecodedImage, row: StripRow): number[] {
  const { line, height } = row;
  const step = Math.max(1, Math.round(height / 150));
  const lo = Math.max(0, Math.floor(row.lo));
  const hi = Math.min(image.width - 1, Math.ceil(row.hi));
  const n = Math.floor((hi - lo) / step) + 1;
  if (n < 3) return [];
  // Read the strip sample line by sample line (along the image rows, as memory lies), then take each
  // column's quantile.
  const S = STRIP_SAMPLES;
  const grid = new Float64Array(n * S);
  for (let s = 0; s < S; s++) {
    const t = (STRIP_FROM + ((STRIP_TO - STRIP_FROM) * (s + 0.5)) / S) * height;
    for (let c = 0; c < n; c++) {
      const x = lo + c * step;
      grid[c * S + s] = brightness(image, x, lineY(line, x) + t);
    }
  }
  const level = new Float64Array(n);
  const sorted = new Float64Array(S);
  for (let c = 0; c < n; c++) {
    let k = 0;
    for (let s = 0; s < S; s++) {
      const g = grid[c * S + s]!;
      if (g < 0) continue;
      // Insertion into the sorted samples (a dozen values: faster than a sort call).
      let j = k++;
      while (j > 0 && sorted[j - 1]! > g) {
        sorted[j] = sorted[j - 1]!;
        j--;
      }
      sorted[j] = g;
    }
    level[c] = k < S / 2 ? Number.NaN : sorted[Math.min(k - 1, Math.floor(LEVEL_QUANTILE * k))]!;
  }
  const levels = Array.from(level).filter((v) => !Number.isNaN(v));
  if (levels.length < 3) return [];
  levels.sort((a, b) => a - b);
  const floor = levels[Math.floor(FLOOR_QUANTILE * (levels.length - 1))]! - FLOOR_DEPTH;
  const half = Math.max(1, Math.round((SEAM_HALF * height) / step));
  const reach = SIDE_REACH * half;
  const dark = new Uint8Array(n);
  for (let c = reach; c < n - reach; c++) {
    const here = level[c]!;
    if (Number.isNaN(here) || here > floor) continue;
    let left = -1;
    let right = -1;
    for (let d = half; d <= reach; d++) {
      left = Math.max(left, level[c - d]! || -1);
      right = Math.max(right, level[c + d]! || -1);
    }
    const side = Math.min(left, right);
    const dip = side - here;
    if (dip >= MIN_DEPTH && dip >= MIN_CONTRAST * side) dark[c] = 1;
  }
  // One seam per stretch of dark columns, at its middle.
  const seams: number[] = [];
  for (let c = 0; c < n; ) {
    if (dark[c] === 0) {
      c++;
      continue;
    }
    let e = c;
    while (e < n && dark[e] === 1) e++;
    if (e - c <= 2 * half) seams.push(lo + ((c + e - 1) / 2) * step);
    c = e;
  }
  return seams;
}
