import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoxXyxy } from '@shelfwatch/shared';

/** Proxy metrics on real photos that carry shelf-row boxes but no product boxes (issue 3). */
export interface RowProxy {
  /** Mean over labelled rows of the share of the row's width covered by detections centred in it (recall proxy). */
  rowCoverage: number;
  /** Share of detections centred in a labelled row that reach out of it by more than a quarter of its height (precision proxy). */
  straddleRate: number;
  /** Share of detections lying mostly (> 70 % of their area) inside a larger detection (fragments, duplicates). */
  nestedRate: number;
  /** Detections per photo. */
  counts: number[];
  medianCount: number;
  rows: number;
}

/** YOLO-format row labels (`0 cx cy w h`, normalised) of one photo to pixel boxes. */
export function readRowLabels(path: string, width: number, height: number): BoxXyxy[] {
  const rows: BoxXyxy[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const p = line.trim().split(/\s+/).map(Number);
    if (p.length !== 5 || p.some((v) => !Number.isFinite(v))) continue;
    const [, cx, cy, w, h] = p as [number, number, number, number, number];
    rows.push([(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height]);
  }
  return rows;
}

export function listPhotos(dir: string): { image: string; label: string }[] {
  return readdirSync(join(dir, 'images'))
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort()
    .map((f) => ({ image: join(dir, 'images', f), label: join(dir, 'labels', f.replace(/\.\w+$/, '.txt')) }));
}

export function median(v: readonly number[]): number {
  if (v.length === 0) return Number.NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A box lying more than this share inside a larger one is *nested* in it. */
export const NESTED_SHARE = 0.7;

const boxArea = (b: Readonly<BoxXyxy>) => (b[2] - b[0]) * (b[3] - b[1]);

/**
 * For each box, the indices of the smaller boxes lying more than `share` of their area inside it
 * (the row proxy's nested rate counts them; the pseudo-labels drop them as fragments). O(n^2).
 */
export function containedIn(boxes: readonly Readonly<BoxXyxy>[], share: number): number[][] {
  return boxes.map((outer, i) => {
    const inner: number[] = [];
    for (let j = 0; j < boxes.length; j++) {
      const b = boxes[j]!;
      if (i === j || boxArea(b) >= boxArea(outer)) continue;
      const iw = Math.min(outer[2], b[2]) - Math.max(outer[0], b[0]);
      const ih = Math.min(outer[3], b[3]) - Math.max(outer[1], b[1]);
      if (iw > 0 && ih > 0 && iw * ih > share * boxArea(b)) inner.push(j);
    }
    return inner;
  });
}

/** Row coverage, straddle and nested rates over photos (detections and rows in the same pixels). */
export function rowProxy(
  photos: readonly { boxes: readonly BoxXyxy[]; rows: readonly BoxXyxy[] }[],
): RowProxy {
  let covSum = 0;
  let rowsN = 0;
  let inRow = 0;
  let straddle = 0;
  let nested = 0;
  let total = 0;
  const counts: number[] = [];
  for (const { boxes, rows } of photos) {
    counts.push(boxes.length);
    total += boxes.length;
    for (const row of rows) {
      const [rx1, ry1, rx2, ry2] = row;
      const rh = ry2 - ry1;
      const spans: [number, number][] = [];
      for (const b of boxes) {
        const cx = (b[0] + b[2]) / 2;
        const cy = (b[1] + b[3]) / 2;
        if (cx < rx1 || cx > rx2 || cy < ry1 || cy > ry2) continue;
        inRow++;
        if (b[1] < ry1 - rh / 4 || b[3] > ry2 + rh / 4) straddle++;
        spans.push([Math.max(rx1, b[0]), Math.min(rx2, b[2])]);
      }
      spans.sort((a, b) => a[0] - b[0]);
      let covered = 0;
      let end = rx1;
      for (const [s, e] of spans) {
        if (e <= end) continue;
        covered += e - Math.max(s, end);
        end = e;
      }
      covSum += rx2 > rx1 ? covered / (rx2 - rx1) : 0;
      rowsN++;
    }
    nested += new Set(containedIn(boxes, NESTED_SHARE).flat()).size;
  }
  return {
    rowCoverage: rowsN ? covSum / rowsN : Number.NaN,
    straddleRate: inRow ? straddle / inRow : 0,
    nestedRate: total ? nested / total : 0,
    counts,
    medianCount: median(counts),
    rows: rowsN,
  };
}
