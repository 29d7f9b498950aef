/**
 * The header's status: which engine counts, online/offline, the detector download (bytes of model +
 * WASM, in % and MB) and a plain "Ready offline" once the app shell, the model and the WASM binary are
 * all stored on the phone. Test hooks: `data-testid=engine` carries `data-engine`, `data-mode`,
 * `data-device-state`, `data-threads` and the policy's reason as `title`.
 */
import type { EngineSnapshot } from '../engine/engine-manager.ts';
import type { EngineKind } from '../engine/policy.ts';
import { byId } from './dom.ts';
import { formatMB, plural } from './format.ts';

/** Sets a text only when it changes (no churn for live regions and layout). */
function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Shows the engine state; `shown` is where the last scan ran, else the planned engine. */
export function renderEngine(s: EngineSnapshot, shown: EngineKind | 'none'): void {
  const label = byId('engine-label');
  const text =
    shown === 'device'
      ? 'Counting on this phone'
      : shown === 'server'
        ? 'Counting on the server'
        : 'Cannot count now';
  setText(label, text);
  label.dataset.engine = shown;
  label.dataset.mode = s.mode;
  label.dataset.deviceState = s.device;
  label.dataset.threads = String(s.threads);
  label.title = shown === 'device' ? `${plural(s.threads, 'thread')}; ${s.reason}` : s.reason;
  setText(byId('settings-engine-info'), `This phone: ${deviceWords(s)}.`);
  renderDownload(s);
}

function deviceWords(s: EngineSnapshot): string {
  switch (s.device) {
    case 'ready':
      return `counts here (${s.reason})`;
    case 'slow':
      return `too slow, the server counts (${s.reason})`;
    case 'loading':
      return 'downloading the detector';
    case 'weak':
      return `the server counts (${s.reason})`;
    case 'unsupported':
      return `cannot count here, the server counts (${s.reason})`;
    case 'failed':
      return `the detector failed, the server counts (${s.reason})`;
    default:
      return 'not started';
  }
}

/** "Downloading the detector: 47 % (7.1 of 15.0 MB)". */
export function downloadText(d: { loaded: number; total: number }): string {
  if (d.total <= 0) return `Downloading the detector for offline use: ${formatMB(d.loaded)}`;
  const pct = Math.min(100, Math.floor((d.loaded / d.total) * 100));
  return `Downloading the detector for offline use: ${pct} % (${(d.loaded / 1e6).toFixed(1)} of ${formatMB(d.total)})`;
}

function renderDownload(s: EngineSnapshot): void {
  const box = byId('download');
  const bar = byId<HTMLProgressElement>('download-bar');
  const d = s.download;
  const active = s.device === 'loading' && d !== undefined && (d.total === 0 || d.loaded < d.total);
  // First-run setup shows the same progress in its own text.
  box.hidden = !active || byId('main').dataset.step === 'setup';
  const text = d ? downloadText(d) : '';
  if (active && d) {
    setText(byId('download-label'), text);
    if (d.total > 0) bar.value = d.loaded / d.total;
    else bar.removeAttribute('value');
    box.dataset.loaded = String(d.loaded);
    box.dataset.total = String(d.total);
  }
  setText(
    byId('setup-download'),
    s.device === 'loading'
      ? text || 'Starting the detector…'
      : s.device === 'ready' || s.device === 'slow'
        ? 'The detector is on this phone.'
        : s.device === 'idle'
          ? ''
          : `This phone will use the server to count (${deviceWords(s)}).`,
  );
}

export function renderNetwork(online: boolean): void {
  const net = byId('net-label');
  net.textContent = online ? 'online' : 'offline';
  net.dataset.online = String(online);
}

/** "Ready offline": shown only when scanning and queueing would work with no network at all. */
export function renderOfflineReady(ready: boolean): void {
  byId('offline-ready').hidden = !ready;
}
