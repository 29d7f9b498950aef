/** Keeps the history and audit lists (and the history badge) in step with IndexedDB. */
import { byId } from '../ui/dom.ts';
import { renderHistory } from '../ui/history-view.ts';
import { renderQueue } from '../ui/queue-view.ts';
import type { AppState } from './app-state.ts';
import type { ScanFlow } from './scan-flow.ts';

export function mountLists(app: AppState, flow: ScanFlow, openSettings: () => void): () => Promise<void> {
  const refresh = async () => {
    const [scans, audits] = await Promise.all([app.history.list(), app.queue.list()]);
    const online = navigator.onLine;
    const byScan = new Map(audits.map((a) => [a.id, a]));
    renderHistory(byId('history'), scans, byScan, online, {
      onOpen: (id) => void flow.reopen(id),
      onDelete: async (id) => {
        await app.history.delete(id);
        app.changed();
      },
    });
    renderQueue(byId('audit-queue'), audits, online, {
      onResend: async (id) => {
        await app.queue.retry(id);
        await app.driver.queued();
      },
      onOpenSettings: openSettings,
      onEdit: (id) => void flow.reopen(id),
    });
    const waiting = audits.filter((a) => a.status !== 'sent').length;
    byId('history-count').textContent = waiting ? String(waiting) : '';
    byId('history-count').setAttribute('aria-label', waiting ? `${waiting} not stored yet` : '');
  };
  app.onChange(() => void refresh());
  return refresh;
}
