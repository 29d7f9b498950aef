/**
 * Past scans: thumbnail, count, store and aisle, audit status and time; each can be reopened (boxes
 * and rows drawn again) or deleted.
 */
import type { AuditRecord, ScanRecord } from '../storage/db.ts';
import { auditStatus } from './audit-status.ts';
import { button, h } from './dom.ts';
import { formatWhen, plural } from './format.ts';

const urls: string[] = [];

export interface HistoryHandlers {
  onOpen(id: string): void;
  onDelete(id: string): void;
}

export function renderHistory(
  list: HTMLElement,
  scans: ScanRecord[],
  audits: Map<string, AuditRecord>,
  online: boolean,
  on: HistoryHandlers,
): void {
  for (const u of urls.splice(0)) URL.revokeObjectURL(u);
  if (!scans.length) {
    list.replaceChildren(h('li', { class: 'meta' }, 'No scans yet.'));
    return;
  }
  list.replaceChildren(
    ...scans.map((s) => {
      const audit = audits.get(s.id);
      const li = h('li', { 'data-scan-id': s.id, 'data-audit-status': audit?.status ?? 'none' });
      if (s.thumbnail) {
        const url = URL.createObjectURL(new Blob([s.thumbnail], { type: s.thumbnailType ?? 'image/jpeg' }));
        urls.push(url);
        li.append(h('img', { src: url, alt: '', width: '64', height: '48' }));
      }
      const where = s.storeId ? `${s.storeId} · aisle ${s.aisle}` : 'no audit filed';
      const status = audit
        ? auditStatus(audit, online).text
        : s.photo
          ? 'Not audited yet.'
          : 'Not audited (photo not kept).';
      li.append(
        h(
          'div',
          { class: 'history-text' },
          h('strong', {}, `${plural(s.count, 'product')}, ${plural(s.gaps, 'gap')}`),
          h('span', {}, where),
          h('span', { class: 'meta' }, status),
          h('span', { class: 'meta' }, `Scanned ${formatWhen(s.createdAt)}`),
        ),
        h(
          'div',
          { class: 'history-actions' },
          button('Open', () => on.onOpen(s.id), {
            'aria-label': `Open the scan of ${formatWhen(s.createdAt)}`,
          }),
          button('Delete', () => on.onDelete(s.id), {
            'aria-label': `Delete the scan of ${formatWhen(s.createdAt)}`,
            class: 'danger',
          }),
        ),
      );
      return li;
    }),
  );
}

/** Long side of the preview a reopened scan is drawn on. */
export const PREVIEW_SIDE = 1280;

/**
 * Small JPEGs of the photo: a list thumbnail and a screen-sized preview to draw a reopened scan on.
 * Drawn at once from the photo already decoded for display (upright); only the encoding is awaited,
 * so the source may change right after the call.
 */
export function makeImages(
  source: CanvasImageSource,
  width: number,
  height: number,
): Promise<{ thumbnail?: ArrayBuffer; preview?: ArrayBuffer; type: string }> {
  const canvases: [key: 'thumbnail' | 'preview', canvas: OffscreenCanvas, quality: number][] = [];
  for (const [key, side, quality] of [
    ['thumbnail', 128, 0.7],
    ['preview', PREVIEW_SIDE, 0.8],
  ] as const) {
    const scale = Math.min(1, side / Math.max(width, height));
    const canvas = new OffscreenCanvas(
      Math.max(1, Math.round(width * scale)),
      Math.max(1, Math.round(height * scale)),
    );
    const ctx = canvas.getContext('2d');
    if (!ctx) continue;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    canvases.push([key, canvas, quality]);
  }
  return (async () => {
    const out: { thumbnail?: ArrayBuffer; preview?: ArrayBuffer; type: string } = { type: 'image/jpeg' };
    for (const [key, canvas, quality] of canvases) {
      try {
        out[key] = await (await canvas.convertToBlob({ type: 'image/jpeg', quality })).arrayBuffer();
      } catch {
        // No thumbnail is better than no history entry.
      }
    }
    return out;
  })();
}
