/**
 * Draws a scan over its photo: product outlines, shelf rows (along their fitted `line` when the result
 * has one, else along the bottom of the row's box) with their numbers, and gaps; plus the lists of
 * rows and gaps that highlight one on tap. All marks are paths in image pixels in one SVG that is
 * not CSS-scaled (see pan-zoom.ts), with `vector-effect: non-scaling-stroke`, so outlines stay 1-2 CSS
 * px at any zoom; each is a bright line over a dark halo (palette.ts).
 */
import type { BoxXyxy } from '@shelfwatch/shared';
import type { StoredResult } from '../storage/db.ts';
import { byId, h, svg } from './dom.ts';
import { plural } from './format.ts';
import { HALO, HALO_OPACITY, MARKS, type MarkKind } from './palette.ts';

type Row = StoredResult['rows'][number];
type Point = [number, number];

/** Stroke widths in CSS px: a 1 px line centred on a 2 px halo, so every mark is 2 px wide in all. */
export const LINE_PX = 1;
export const HALO_PX = 2;

function boxPath(boxes: readonly BoxXyxy[]): string {
  let d = '';
  for (const [x1, y1, x2, y2] of boxes) d += `M${r(x1)} ${r(y1)}H${r(x2)}V${r(y2)}H${r(x1)}Z`;
  return d;
}

const r = (v: number) => Math.round(v * 10) / 10;

/** The row's baseline: its fitted line, or the bottom edge of its box. */
export function rowLine(row: Row): [Point, Point] {
  return (
    row.line ?? [
      [row.box[0], row.box[3]],
      [row.box[2], row.box[3]],
    ]
  );
}

/** Halo + line pair for a path `d`. */
function mark(kind: MarkKind, d: string, extra: Record<string, string> = {}): SVGGElement {
  const g = svg('g', { class: `mark ${kind}`, ...extra });
  const common = { d, 'vector-effect': 'non-scaling-stroke', fill: 'none', 'stroke-linejoin': 'round' };
  g.append(
    svg('path', {
      ...common,
      class: 'halo',
      stroke: HALO,
      'stroke-opacity': HALO_OPACITY,
      'stroke-width': HALO_PX,
    }),
    svg('path', { ...common, class: 'line', stroke: MARKS[kind], 'stroke-width': LINE_PX }),
  );
  return g;
}

export interface ResultViewHandlers {
  /** A row or gap was picked in the list: show it (zoom to its box). */
  onFocus(box: BoxXyxy): void;
}

export interface GapInfo {
  row: number;
  box: BoxXyxy;
  /** Left edge as a share of the photo width (0..1). */
  from: number;
  to: number;
  /** About how many products would fit (gap width / the row's median product width). */
  products: number;
}

/** Gaps of all rows with their position and size in words people use. */
export function describeGaps(result: StoredResult): GapInfo[] {
  const out: GapInfo[] = [];
  result.rows.forEach((row, i) => {
    const widths = result.boxes
      .filter((b) => {
        const cy = (b[1] + b[3]) / 2;
        return cy >= row.box[1] && cy <= row.box[3];
      })
      .map((b) => b[2] - b[0])
      .sort((a, b) => a - b);
    const median = widths[widths.length >> 1] ?? 1;
    for (const gap of row.gaps) {
      out.push({
        row: i,
        box: gap,
        from: gap[0] / result.image.width,
        to: gap[2] / result.image.width,
        products: Math.max(1, Math.round((gap[2] - gap[0]) / Math.max(1, median))),
      });
    }
  });
  return out;
}

/** The overlay, rows and gaps lists for one result. */
export function renderResult(result: StoredResult, handlers: ResultViewHandlers): void {
  const overlay = byId('overlay') as unknown as SVGSVGElement;
  const { width, height } = result.image;
  overlay.setAttribute('viewBox', `0 0 ${width} ${height}`);
  overlay.setAttribute('preserveAspectRatio', 'none');
  overlay.dataset.imageSize = `${width}x${height}`;

  const rowsG = svg('g', { class: 'rows' });
  const labels = svg('g', { class: 'labels' });
  result.rows.forEach((row, i) => {
    const [[x1, y1], [x2, y2]] = rowLine(row);
    rowsG.append(mark('row', `M${r(x1)} ${r(y1)}L${r(x2)} ${r(y2)}`, { 'data-row': String(i) }));
    const t = svg('text', { x: r(x1), y: r(y1), class: 'row-label', 'data-row': String(i) });
    t.textContent = String(i + 1);
    labels.append(t);
  });
  const gapsG = svg('g', { class: 'gaps' });
  const gaps = describeGaps(result);
  gaps.forEach((g, i) => {
    const m = mark('gap', boxPath([g.box]), { 'data-gap': String(i) });
    m.querySelector('.line')?.setAttribute('fill', MARKS.gap);
    m.querySelector('.line')?.setAttribute('fill-opacity', '0.3');
    gapsG.append(m);
  });
  const products = mark('product', boxPath(result.boxes), {
    'data-testid': 'boxes',
    'data-count': String(result.boxes.length),
  });
  const focus = svg('g', { class: 'focus' });
  overlay.replaceChildren(products, rowsG, gapsG, labels, focus);

  const highlight = (box: BoxXyxy | undefined, item: HTMLElement) => {
    for (const el of document.querySelectorAll('.pick-list [aria-pressed="true"]'))
      el.setAttribute('aria-pressed', 'false');
    focus.replaceChildren();
    overlay.classList.toggle('dimmed', box !== undefined);
    if (!box) return;
    item.setAttribute('aria-pressed', 'true');
    const m = mark('highlight', boxPath([box]));
    m.querySelector('.line')?.setAttribute('fill', MARKS.highlight);
    m.querySelector('.line')?.setAttribute('fill-opacity', '0.2');
    focus.append(m);
    handlers.onFocus(box);
    // The list is below the photo on a phone: bring the photo into view to show the highlight, the
    // picked item staying above the sticky "New photo / Audit this shelf" bar.
    const bar = item.closest('.step')?.querySelector<HTMLElement>('.sticky-actions');
    const by = pickScroll(
      byId('viewer').getBoundingClientRect().top,
      item.getBoundingClientRect().bottom,
      innerHeight - (bar?.offsetHeight ?? 0) - 8,
    );
    if (by) scrollBy(0, by);
  };
  const pick = (label: string, box: BoxXyxy, data: Record<string, string>) => {
    const b = h('button', { type: 'button', 'aria-pressed': 'false', ...data }, label);
    b.addEventListener('click', () =>
      highlight(b.getAttribute('aria-pressed') === 'true' ? undefined : box, b),
    );
    return h('li', {}, b);
  };

  byId('rows').replaceChildren(
    ...result.rows.map((row, i) =>
      pick(
        `Row ${i + 1}: ${plural(row.count, 'product')}${row.gaps.length ? `, ${plural(row.gaps.length, 'gap')}` : ''}`,
        row.box,
        { 'data-row': String(i) },
      ),
    ),
  );
  if (!result.rows.length) byId('rows').replaceChildren(h('li', { class: 'meta' }, 'No shelf rows found.'));
  byId('gaps').replaceChildren(
    ...gaps.map((g, i) =>
      pick(
        `Row ${g.row + 1}, ${Math.round(g.from * 100)}–${Math.round(g.to * 100)} % from the left, room for about ${plural(g.products, 'product')}`,
        g.box,
        { 'data-gap': String(i) },
      ),
    ),
  );
  if (!gaps.length) byId('gaps').replaceChildren(h('li', { class: 'meta' }, 'No empty gaps found.'));
}

/**
 * How far to scroll the page (CSS px, down when positive) for a picked row or gap: up to the photo's
 * top (`photoTop`, from the top of the window), but never so far that the item's bottom passes
 * `bottom` (where the sticky bar starts); an item already below it comes up to it.
 */
export function pickScroll(photoTop: number, itemBottom: number, bottom: number): number {
  return Math.max(Math.min(photoTop, 0), itemBottom - bottom);
}

/** Keeps the row numbers readable (12 CSS px) whatever the zoom: `pxPerCss` image px per CSS px. */
export function scaleLabels(pxPerCss: number): void {
  const overlay = byId('overlay') as unknown as SVGSVGElement;
  overlay.style.setProperty('--label-size', `${12 * pxPerCss}px`);
  const labels = overlay.querySelector<SVGGElement>('.labels');
  labels?.setAttribute('font-size', String(12 * pxPerCss));
  for (const t of overlay.querySelectorAll<SVGTextElement>('.row-label')) {
    t.setAttribute('dx', String(4 * pxPerCss));
    t.setAttribute('dy', String(-4 * pxPerCss));
  }
}

/** Empties the overlay and the lists (a new photo, a failed scan). */
export function clearResult(): void {
  (byId('overlay') as unknown as SVGSVGElement).replaceChildren();
  byId('rows').replaceChildren();
  byId('gaps').replaceChildren();
  byId<HTMLImageElement>('photo').removeAttribute('src');
}
