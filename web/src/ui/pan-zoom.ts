/** Pinch/drag/wheel zoom and pan of the result photo (pointer events; the +/- buttons serve keyboard users). */

export interface PanZoom {
  zoomBy(factor: number): void;
  reset(): void;
}

export function attachPanZoom(viewer: HTMLElement, stage: HTMLElement): PanZoom {
  let scale = 1;
  let tx = 0;
  let ty = 0;
  const pointers = new Map<number, { x: number; y: number }>();

  const apply = () => {
    // Keep the photo covering the viewer: no panning past its edges.
    const w = viewer.clientWidth;
    const hgt = viewer.clientHeight;
    tx = Math.min(0, Math.max(w - w * scale, tx));
    ty = Math.min(0, Math.max(hgt - hgt * scale, ty));
    stage.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
  };
  const zoomAt = (factor: number, cx: number, cy: number) => {
    const next = Math.min(8, Math.max(1, scale * factor));
    tx = cx - ((cx - tx) * next) / scale;
    ty = cy - ((cy - ty) * next) / scale;
    scale = next;
    apply();
  };
  stage.style.width = '100%';

  viewer.addEventListener('pointerdown', (e) => {
    viewer.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  });
  viewer.addEventListener('pointermove', (e) => {
    const prev = pointers.get(e.pointerId);
    if (!prev) return;
    const cur = { x: e.clientX, y: e.clientY };
    if (pointers.size === 1) {
      tx += cur.x - prev.x;
      ty += cur.y - prev.y;
      pointers.set(e.pointerId, cur);
      apply();
      return;
    }
    const [a, b] = [...pointers.values()];
    const before = Math.hypot(a!.x - b!.x, a!.y - b!.y);
    pointers.set(e.pointerId, cur);
    const [c, d] = [...pointers.values()];
    const after = Math.hypot(c!.x - d!.x, c!.y - d!.y);
    const r = viewer.getBoundingClientRect();
    if (before > 0) zoomAt(after / before, (c!.x + d!.x) / 2 - r.left, (c!.y + d!.y) / 2 - r.top);
  });
  const up = (e: PointerEvent) => pointers.delete(e.pointerId);
  viewer.addEventListener('pointerup', up);
  viewer.addEventListener('pointercancel', up);
  viewer.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = viewer.getBoundingClientRect();
      zoomAt(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.clientX - r.left, e.clientY - r.top);
    },
    { passive: false },
  );
  return {
    zoomBy: (f) => zoomAt(f, viewer.clientWidth / 2, viewer.clientHeight / 2),
    reset: () => {
      scale = 1;
      tx = 0;
      ty = 0;
      apply();
    },
  };
}
