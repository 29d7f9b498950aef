/** One audit's state in words, shared by the confirmation, the history and the audit list. */
import { describeError, type ErrorAction } from '../api/messages.ts';
import type { AuditRecord } from '../storage/db.ts';
import { plural, shortAuditId } from './format.ts';

export interface AuditStatusText {
  /** Short label: Waiting, Sending, Accepted, Stored, Not stored. */
  label: string;
  /** The sentence shown under it. */
  text: string;
  /** For refused audits: what the person can do. */
  action?: ErrorAction;
}

export function auditStatus(a: AuditRecord, online = true): AuditStatusText {
  if (a.status === 'sent') {
    const id = a.serverId ? ` as audit ${shortAuditId(a.serverId)}` : '';
    const count = a.serverCount !== undefined ? `; official count ${plural(a.serverCount, 'product')}` : '';
    return { label: 'Stored', text: `Stored on the server${id}${count}.` };
  }
  if (a.status === 'failed') {
    const e = describeError(a.lastErrorCode ?? '', a.lastError);
    return { label: 'Not stored', text: e.text, action: e.action };
  }
  if (a.status === 'accepted') {
    // The server has the photo (202); its count, the official one, comes when the job is done.
    const where = a.jobStatus === 'running' ? 'is counting it now' : 'will count it shortly';
    const wait = online ? 'ShelfWatch checks back' : 'ShelfWatch checks back when you are online';
    return {
      label: 'Accepted',
      text: `Accepted by the server, which ${where}; the official count follows (${wait}).`,
    };
  }
  if (!online)
    return { label: 'Waiting', text: 'Offline: waits on this phone and is sent when you are back online.' };
  if (a.lastErrorCode) return { label: 'Waiting', text: describeError(a.lastErrorCode, a.lastError).text };
  return { label: 'Sending', text: 'Sending to the server…' };
}
