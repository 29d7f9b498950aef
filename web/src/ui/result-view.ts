/** Draws a scan: the photo with product boxes, shelf rows and gaps as an SVG overlay in image pixels. */
import type { PredictResult } from '@shelfwatch/shared';
import { byId, h } from './dom.ts';

const SVG_NS = 'http://www.w3.org/2000/svg';

function rect(cls: string, [x1, y1, x2, y2]: readonly number[]): SVGRectElement {
  const r = document.createElementNS(SVG_NS, 'rect');
  r.setAttribute('class', cls);
  r.setAttribute('x', String(x1));
  r.setAttribute('y', String(y1));
  r.setAttribute('width', String(Math.max(0, x2! - x1!)));
  r.setAttribute('height', String(Math.max(0, y2! - y1!)));
  r.setAttribute('vector-effect', 'non-scaling-stroke');
  r.setAttribute('stroke-width', '2');
  return r;
}

/**
 * Starts decoding the photo (object URL) for display and clears the old overlay; call it when the
 * scan starts, so that decoding overlaps inference.
 */
export function showPhoto(photoUrl: string): Promise<void> {
  const img = byId<HTMLImageElement>('photo');
  (byId('overlay') as unknown as SVGSVGElement).replaceChildren();
  img.src = photoUrl;
  return img.decode().catch(() => {});
}

/** Draws the result over the photo (`showPhoto` must have been called with the same photo). */
export function renderResult(result: PredictResult): void {
  const svg = byId('overlay') as unknown as SVGSVGElement;
  const viewer = byId('viewer');
  const { width, height } = result.image;
  viewer.style.aspectRatio = `${width} / ${height}`;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const frag = document.createDocumentFragment();
  for (const row of result.shelf.rows) {
    frag.append(rect('row', row.box));
    for (const gap of row.gaps) frag.append(rect('gap', gap));
  }
  for (const d of result.detections) frag.append(rect('box', d.box));
  svg.replaceChildren(frag);
  const rows = byId('rows');
  rows.replaceChildren(
    ...result.shelf.rows.map((row, i) =>
      h(
        'li',
        {},
        `Row ${i + 1}: ${row.count} product${row.count === 1 ? '' : 's'}` +
          (row.gaps.length ? `, ${row.gaps.length} gap${row.gaps.length === 1 ? '' : 's'}` : ''),
      ),
    ),
  );
}
