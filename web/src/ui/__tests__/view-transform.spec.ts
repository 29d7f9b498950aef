import { describe, expect, it } from 'vitest';
import { clampView, FIT, focusOn, MAX_SCALE, panBy, visibleRect, zoomAt } from '../view-transform.ts';

const W = 400;
const H = 300;

describe('view transform', () => {
  it('zooming keeps the pinch centre still', () => {
    const v = zoomAt(FIT, 2, 100, 75, W, H);
    expect(v.scale).toBe(2);
    // The image point under (100, 75) before: (100, 75); after: tx + 100 * 2 = 100.
    expect(v.tx + 100 * v.scale).toBeCloseTo(100);
    expect(v.ty + 75 * v.scale).toBeCloseTo(75);
  });

  it('never shows past the photo edges, never zooms below fit or above the maximum', () => {
    expect(panBy(FIT, 50, 50, W, H)).toEqual(FIT);
    const v = panBy({ scale: 2, tx: 0, ty: 0 }, -10_000, -10_000, W, H);
    expect([v.tx, v.ty]).toEqual([W - 2 * W, H - 2 * H]);
    expect(zoomAt(FIT, 0.1, 0, 0, W, H).scale).toBe(1);
    expect(zoomAt(FIT, 100, 0, 0, W, H).scale).toBe(MAX_SCALE);
  });

  it('visibleRect is the whole image at fit and the zoomed part otherwise', () => {
    expect(visibleRect(FIT, W, H, 4000, 3000)).toEqual([0, 0, 4000, 3000]);
    const v = clampView({ scale: 4, tx: -W, ty: -H }, W, H);
    expect(visibleRect(v, W, H, 4000, 3000)).toEqual([1000, 750, 1000, 750]);
  });

  it('focusOn centres a box', () => {
    const v = focusOn([1800, 1350, 2200, 1650], 4, W, H, 4000, 3000);
    const [x, y, w, h] = visibleRect(v, W, H, 4000, 3000);
    expect(x + w / 2).toBeCloseTo(2000);
    expect(y + h / 2).toBeCloseTo(1500);
  });
});
