/**
 * The audit list: waiting / stored / refused, each in plain words. A refusal that Settings can fix
 * (API key, store) offers "Send again"; one that needs another photo says so and offers nothing that
 * cannot work. Test hooks: items carry `data-status` pending/accepted/sent/failed and `data-audit-id`.
 */
import type { AuditRecord } from '../storage/db.ts';
import { auditStatus } from './audit-status.ts';
import { button, h } from './dom.ts';
import { formatWhen, plural } from './format.ts';

export interface QueueHandlers {
  onResend(id: string): void;
  onOpenSettings(): void;
  onEdit(id: string): void;
}

export function renderQueue(
  list: HTMLElement,
  audits: AuditRecord[],
  online: boolean,
  on: QueueHandlers,
): void {
  if (!audits.length) {
    list.replaceChildren(h('li', { class: 'meta' }, 'No audits yet.'));
    return;
  }
  list.replaceChildren(
    ...audits.map((a) => {
      const s = auditStatus(a, online);
      const count = a.serverCount ?? a.localCount;
      const li = h(
        'li',
        { 'data-status': a.status, 'data-audit-id': a.id, 'data-error-code': a.lastErrorCode ?? '' },
        h('span', { class: 'state' }, s.label),
        h(
          'span',
          {},
          `${a.storeId} · aisle ${a.aisle}${count !== undefined ? ` · ${plural(count, 'product')}` : ''} · ${formatWhen(a.createdAt)}`,
        ),
        h('span', { class: 'meta' }, s.text),
      );
      if (a.status === 'failed' && a.photo) {
        if (s.action === 'settings') {
          li.append(
            button('Open Settings', on.onOpenSettings),
            button('Send again', () => on.onResend(a.id)),
          );
        } else if (s.action === 'edit') li.append(button('Edit and send again', () => on.onEdit(a.id)));
      }
      return li;
    }),
  );
}
