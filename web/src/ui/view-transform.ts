/**
 * Pan and zoom of the result photo as plain maths. The viewer box has the photo's aspect ratio; the
 * photo inside is scaled by `scale` (1 = fit) and shifted by `tx`, `ty` CSS pixels, never past its
 * edges. The overlay is not scaled with it: its viewBox is set to `visibleRect`, so outlines keep
 * their width in CSS pixels at any zoom.
 */

export interface View {
  scale: number;
  tx: number;
  ty: number;
}

export const FIT: View = { scale: 1, tx: 0, ty: 0 };
export const MAX_SCALE = 8;

/** Keeps the photo covering the viewer (`w` x `h` CSS px). */
export function clampView(v: View, w: number, h: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(1, v.scale));
  return {
    scale,
    tx: Math.min(0, Math.max(w - w * scale, v.tx)),
    ty: Math.min(0, Math.max(h - h * scale, v.ty)),
  };
}

/** Zooms by `factor` keeping the viewer point (`cx`, `cy`) still. */
export function zoomAt(v: View, factor: number, cx: number, cy: number, w: number, h: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(1, v.scale * factor));
  const k = scale / v.scale;
  return clampView({ scale, tx: cx - (cx - v.tx) * k, ty: cy - (cy - v.ty) * k }, w, h);
}

export function panBy(v: View, dx: number, dy: number, w: number, h: number): View {
  return clampView({ scale: v.scale, tx: v.tx + dx, ty: v.ty + dy }, w, h);
}

/** The part of the photo on screen, in image pixels: `[x, y, width, height]`. */
export function visibleRect(
  v: View,
  w: number,
  h: number,
  imageW: number,
  imageH: number,
): [number, number, number, number] {
  const kx = imageW / w;
  const ky = imageH / h;
  // `+ 0` turns -0 into 0.
  return [(-v.tx / v.scale) * kx + 0, (-v.ty / v.scale) * ky + 0, imageW / v.scale, imageH / v.scale];
}

/** Centres the view on an image-pixel box at `scale` (used to show a tapped gap or row). */
export function focusOn(
  box: readonly [number, number, number, number],
  scale: number,
  w: number,
  h: number,
  imageW: number,
  imageH: number,
): View {
  const cx = ((box[0] + box[2]) / 2) * (w / imageW);
  const cy = ((box[1] + box[3]) / 2) * (h / imageH);
  return clampView({ scale, tx: w / 2 - cx * scale, ty: h / 2 - cy * scale }, w, h);
}
