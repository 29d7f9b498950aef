/**
 * Zoom and pan of the result photo. Touch: at fit zoom a swipe scrolls the page (`touch-action:
 * pan-y`), a pinch or a double tap zooms; zoomed in, one finger pans. Mouse: wheel zooms, drag pans.
 * Keyboard (the viewer is focusable): arrow keys pan, + and − zoom, 0 fits. The photo is moved with a
 * CSS transform; the overlay is not: its viewBox follows the visible part of the photo, so its strokes
 * keep their CSS width (view-transform.ts has the maths).
 */
import type { BoxXyxy } from '@shelfwatch/shared';
import { FIT, focusOn, panBy, type View, visibleRect, zoomAt } from './view-transform.ts';

export interface PanZoom {
  zoomBy(factor: number): void;
  reset(): void;
  /** Zooms to show `box` (image pixels) in the middle. */
  focus(box: BoxXyxy): void;
  /** The photo's size in image pixels (set for every result). */
  setImageSize(width: number, height: number): void;
  readonly view: View;
}

const DOUBLE_TAP_MS = 300;
const DOUBLE_TAP_PX = 30;

export function attachPanZoom(
  viewer: HTMLElement,
  stage: HTMLElement,
  overlay: SVGSVGElement,
  onView: (pxPerCss: number) => void,
): PanZoom {
  let view: View = FIT;
  let imageW = 1;
  let imageH = 1;
  const pointers = new Map<number, { x: number; y: number }>();
  let lastTap = { t: 0, x: 0, y: 0 };
  let moved = false;

  const size = () => [viewer.clientWidth || 1, viewer.clientHeight || 1] as const;
  const apply = (next: View) => {
    view = next;
    const [w, h] = size();
    stage.style.transform = `translate(${view.tx}px, ${view.ty}px) scale(${view.scale})`;
    const [x, y, vw, vh] = visibleRect(view, w, h, imageW, imageH);
    overlay.setAttribute('viewBox', `${x} ${y} ${vw} ${vh}`);
    // At fit zoom a vertical swipe belongs to the page; zoomed in, every gesture pans the photo.
    viewer.style.touchAction = view.scale > 1 ? 'none' : 'pan-y';
    viewer.dataset.scale = view.scale.toFixed(2);
    onView(vw / w);
  };
  const zoomAround = (factor: number, cx: number, cy: number) => {
    const [w, h] = size();
    apply(zoomAt(view, factor, cx, cy, w, h));
  };
  const local = (e: { clientX: number; clientY: number }) => {
    const r = viewer.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };

  viewer.addEventListener('pointerdown', (e) => {
    pointers.set(e.pointerId, local(e));
    moved = false;
    // Capture only when this gesture is ours; at fit zoom a one-finger touch may be a page scroll.
    if (view.scale > 1 || pointers.size > 1 || e.pointerType === 'mouse')
      viewer.setPointerCapture(e.pointerId);
  });
  viewer.addEventListener('pointermove', (e) => {
    const prev = pointers.get(e.pointerId);
    if (!prev) return;
    const cur = local(e);
    if (Math.hypot(cur.x - prev.x, cur.y - prev.y) > 2) moved = true;
    if (pointers.size === 1) {
      pointers.set(e.pointerId, cur);
      if (view.scale > 1 || e.pointerType === 'mouse') {
        const [w, h] = size();
        apply(panBy(view, cur.x - prev.x, cur.y - prev.y, w, h));
      }
      return;
    }
    const [a, b] = [...pointers.values()];
    const before = Math.hypot(a!.x - b!.x, a!.y - b!.y);
    pointers.set(e.pointerId, cur);
    const [c, d] = [...pointers.values()];
    const after = Math.hypot(c!.x - d!.x, c!.y - d!.y);
    if (before > 0) zoomAround(after / before, (c!.x + d!.x) / 2, (c!.y + d!.y) / 2);
  });
  const up = (e: PointerEvent) => {
    const wasSingle = pointers.size === 1;
    pointers.delete(e.pointerId);
    if (e.type !== 'pointerup' || !wasSingle || moved) return;
    const p = local(e);
    const now = performance.now();
    if (now - lastTap.t < DOUBLE_TAP_MS && Math.hypot(p.x - lastTap.x, p.y - lastTap.y) < DOUBLE_TAP_PX) {
      lastTap = { t: 0, x: 0, y: 0 };
      if (view.scale > 1) apply(FIT);
      else zoomAround(2.5, p.x, p.y);
    } else lastTap = { t: now, ...p };
  };
  viewer.addEventListener('pointerup', up);
  viewer.addEventListener('pointercancel', up);
  viewer.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const p = local(e);
      zoomAround(e.deltaY < 0 ? 1.2 : 1 / 1.2, p.x, p.y);
    },
    { passive: false },
  );
  viewer.addEventListener('keydown', (e) => {
    const [w, h] = size();
    const step = Math.round(Math.min(w, h) * 0.15);
    const pans: Record<string, [number, number]> = {
      ArrowLeft: [step, 0],
      ArrowRight: [-step, 0],
      ArrowUp: [0, step],
      ArrowDown: [0, -step],
    };
    const pan = pans[e.key];
    if (pan && view.scale > 1) apply(panBy(view, pan[0], pan[1], w, h));
    else if (e.key === '+' || e.key === '=') zoomAround(1.25, w / 2, h / 2);
    else if (e.key === '-' || e.key === '_') zoomAround(0.8, w / 2, h / 2);
    else if (e.key === '0') apply(FIT);
    // At fit zoom the arrow keys scroll the page as usual.
    else return;
    e.preventDefault();
  });
  new ResizeObserver(() => apply(view)).observe(viewer);

  return {
    zoomBy: (f) => {
      const [w, h] = size();
      zoomAround(f, w / 2, h / 2);
    },
    reset: () => apply(FIT),
    focus: (box) => {
      const [w, h] = size();
      // Enough zoom that the box takes about half the viewer, between 1.5x and 4x.
      const k = Math.min(
        w / (((box[2] - box[0]) * w) / imageW || 1),
        h / (((box[3] - box[1]) * h) / imageH || 1),
      );
      apply(focusOn(box, Math.min(4, Math.max(1.5, k * 0.5)), w, h, imageW, imageH));
    },
    setImageSize: (width, height) => {
      imageW = width;
      imageH = height;
      viewer.style.setProperty('--ratio', `${width} / ${height}`);
      viewer.style.aspectRatio = `${width} / ${height}`;
      // Portrait photos are limited by the screen height, landscape ones by the column width.
      viewer.style.width = `min(100%, calc(70vh * ${width} / ${height}))`;
      apply(FIT);
    },
    get view() {
      return view;
    },
  };
}
