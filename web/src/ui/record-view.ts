/**
 * The stored audit behind a confirmation's link (`#audit/<id>`): fetched from `GET /audits/:id` with
 * the API key (a plain link to the API would have no key), shown in a dialog.
 */
import { isApiErrorBody } from '@shelfwatch/shared';
import { auditRecordShapeError, type StoredAudit } from '../api/audit-record.ts';
import { describeError } from '../api/messages.ts';
import { byId, h } from './dom.ts';
import { plural, shortAuditId } from './format.ts';

export async function showRecord(id: string, apiKey: string, apiBase = ''): Promise<void> {
  const dialog = byId<HTMLDialogElement>('record');
  const body = byId('record-body');
  byId('record-title').textContent = `Stored audit ${shortAuditId(id)}`;
  body.replaceChildren(h('p', {}, 'Loading…'));
  if (!dialog.open) dialog.showModal();
  let text: string | undefined;
  try {
    const r = await fetch(`${apiBase}/audits/${encodeURIComponent(id)}`, {
      headers: { authorization: `Bearer ${apiKey}` },
      signal: AbortSignal.timeout(10_000),
    });
    const json: unknown = await r.json().catch(() => undefined);
    if (r.ok) {
      const a = json as StoredAudit & { note?: string | null };
      if (auditRecordShapeError(a) === undefined) {
        const gaps = a.rows.reduce((n, row) => n + row.gaps.length, 0);
        const rows: [string, string][] = [
          ['Official count', plural(a.count, 'product')],
          ['Rows', `${plural(a.rows.length, 'row')} (${a.rows.map((row) => row.count).join(', ')})`],
          ['Gaps', plural(gaps, 'gap')],
          ['Store', a.storeId],
          ['Aisle', a.aisle],
          ['Stored', new Date(a.createdAt).toLocaleString('en')],
          ['Photo', `${a.image.width}×${a.image.height}`],
          ['Model', `${a.model.name} ${a.model.version}`],
          ['Audit id', a.id],
        ];
        if (a.note) rows.push(['Note', a.note]);
        body.replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
        return;
      }
      text = describeError('INVALID_RESPONSE').text;
    } else {
      text = isApiErrorBody(json)
        ? describeError(json.error.code, json.error.message, r.status).text
        : `HTTP ${r.status}`;
    }
  } catch {
    text = describeError('NETWORK').text;
  }
  body.replaceChildren(h('p', { class: 'error' }, text ?? ''));
}
