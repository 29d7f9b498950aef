/** Past scans: thumbnail, counts, engine and time. */
import type { ScanRecord } from '../storage/db.ts';
import { formatMs, h } from './dom.ts';

const urls: string[] = [];

export function renderHistory(list: HTMLElement, scans: ScanRecord[]): void {
  for (const u of urls.splice(0)) URL.revokeObjectURL(u);
  if (!scans.length) {
    list.replaceChildren(h('li', { class: 'meta' }, 'No scans yet.'));
    return;
  }
  list.replaceChildren(
    ...scans.map((s) => {
      const li = h('li', {});
      if (s.thumbnail) {
        const url = URL.createObjectURL(new Blob([s.thumbnail], { type: s.thumbnailType ?? 'image/jpeg' }));
        urls.push(url);
        li.append(h('img', { src: url, alt: '', width: '64', height: '48' }));
      }
      li.append(
        h('strong', {}, `${s.count} products`),
        h('span', {}, `${s.rowCounts.length} rows (${s.rowCounts.join(', ')}), ${s.gaps} gaps`),
        h(
          'span',
          { class: 'meta' },
          `${s.engine} · ${formatMs(s.ms)} · ${new Date(s.createdAt).toLocaleString()}`,
        ),
      );
      return li;
    }),
  );
}

/** A small JPEG of the photo for the history list. */
export async function makeThumbnail(photo: Blob): Promise<{ bytes: ArrayBuffer; type: string } | undefined> {
  try {
    const bitmap = await createImageBitmap(photo, { resizeWidth: 128, resizeQuality: 'medium' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0);
    bitmap.close();
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.7 });
    return { bytes: await blob.arrayBuffer(), type: blob.type };
  } catch {
    return undefined;
  }
}
