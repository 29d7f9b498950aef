/** The visible audit queue: pending / sent / failed, with a retry button for failed ones. */
import type { AuditRecord } from '../storage/db.ts';
import { h } from './dom.ts';

export function renderQueue(list: HTMLElement, audits: AuditRecord[], onRetry: (id: string) => void): void {
  if (!audits.length) {
    list.replaceChildren(h('li', { class: 'meta' }, 'No audits yet.'));
    return;
  }
  list.replaceChildren(
    ...audits.map((a) => {
      const when = new Date(a.createdAt).toLocaleTimeString();
      const count = a.serverCount ?? a.localCount;
      const detail =
        a.status === 'pending'
          ? a.attempts
            ? `waiting to retry (attempt ${a.attempts}${a.lastError ? `: ${a.lastError}` : ''})`
            : 'waiting to send'
          : a.status === 'failed'
            ? (a.lastError ?? 'refused')
            : `stored${a.serverId ? ` as #${a.serverId}` : ''}`;
      const li = h(
        'li',
        { 'data-status': a.status, 'data-audit-id': a.id },
        h('span', { class: 'state' }, a.status),
        h(
          'span',
          {},
          `${a.storeId} · aisle ${a.aisle}${count !== undefined ? ` · ${count} products` : ''} · ${when}`,
        ),
        h('span', { class: 'meta' }, detail),
      );
      if (a.status === 'failed') {
        const retry = h('button', { type: 'button' }, 'Retry');
        retry.addEventListener('click', () => onRetry(a.id));
        li.append(retry);
      }
      return li;
    }),
  );
}
