/**
 * ShelfWatch PWA entry: wires the engine manager (device worker / server), the audit queue, history,
 * settings and the service worker to the static shell in index.html.
 */
import './styles.css';
import { AuditQueue } from './audits/audit-queue.ts';
import { httpAuditSender } from './audits/send-audit.ts';
import { AuditSyncDriver } from './audits/sync-driver.ts';
import { config } from './config.ts';
import { detectWasmSimd, WorkerDeviceEngine } from './engine/device-engine.ts';
import { EngineManager, type EngineSnapshot, errorText } from './engine/engine-manager.ts';
import { DEFAULT_THRESHOLDS, type EngineKind, type EngineMode } from './engine/policy.ts';
import { HttpServerEngine } from './engine/server-engine.ts';
import { HistoryStore } from './history/history-store.ts';
import { registerServiceWorker } from './pwa/register.ts';
import { loadSettings, type Settings, saveSettings } from './settings.ts';
import { openShelfWatchDb } from './storage/db.ts';
import { byId, formatMs } from './ui/dom.ts';
import { makeThumbnail, renderHistory } from './ui/history-view.ts';
import { attachPanZoom } from './ui/pan-zoom.ts';
import { renderQueue } from './ui/queue-view.ts';
import { renderResult, showPhoto } from './ui/result-view.ts';

let settings: Settings = loadSettings();
let lastPhoto: Blob | undefined;
let lastCount: number | undefined;
let lastEngine: EngineKind | undefined;
let photoUrl: string | undefined;

const engineLabel = byId('engine-label');
const netLabel = byId('net-label');

const nav = navigator as Navigator & { deviceMemory?: number };
const caps = {
  wasmSimd: detectWasmSimd(),
  workerImaging: typeof OffscreenCanvas !== 'undefined' && typeof createImageBitmap === 'function',
  crossOriginIsolated: self.crossOriginIsolated === true,
  modelShipped: config.modelUrl !== '',
  ...(nav.hardwareConcurrency ? { cores: nav.hardwareConcurrency } : {}),
  ...(nav.deviceMemory ? { memoryGb: nav.deviceMemory } : {}),
};

function deviceThreads(): number {
  if (!caps.crossOriginIsolated) return 1;
  return settings.threads > 0
    ? settings.threads
    : Math.max(1, Math.min(caps.cores ?? 1, DEFAULT_THRESHOLDS.maxThreads));
}

const manager = new EngineManager({
  caps,
  mode: settings.engine,
  device: new WorkerDeviceEngine(deviceThreads()),
  server: new HttpServerEngine(config.apiBase),
  thresholds: { ...DEFAULT_THRESHOLDS, warmupBudgetMs: config.warmupBudgetMs },
  isOnline: () => navigator.onLine,
  onChange: showEngine,
});

function showEngine(s: EngineSnapshot = manager.snapshot()): void {
  const planned = manager.plan()[0] ?? 'none';
  const shown = lastEngine ?? planned;
  engineLabel.textContent =
    shown === 'device'
      ? `device (${s.threads} thread${s.threads === 1 ? '' : 's'})`
      : shown === 'server'
        ? 'server'
        : 'none';
  engineLabel.dataset.engine = shown;
  engineLabel.dataset.mode = s.mode;
  engineLabel.dataset.deviceState = s.device;
  engineLabel.dataset.threads = String(s.threads);
  engineLabel.title = s.reason;
  byId('settings-engine-info').textContent = `Device engine: ${s.device} — ${s.reason}`;
  const progress = byId('model-progress');
  const bar = byId<HTMLProgressElement>('model-progress-bar');
  progress.hidden = !(s.device === 'loading' && (s.progress ?? 0) < 1);
  // Without a Content-Length (compressed response) the bar is indeterminate.
  if (s.progress === undefined) bar.removeAttribute('value');
  else bar.value = s.progress;
}

function showNetwork(): void {
  netLabel.textContent = navigator.onLine ? 'online' : 'offline';
  showEngine();
}
addEventListener('online', showNetwork);
addEventListener('offline', showNetwork);

// ---- scanning ----------------------------------------------------------------------------------
const panZoom = attachPanZoom(byId('viewer'), byId('stage'));
byId('zoom-in').addEventListener('click', () => panZoom.zoomBy(1.25));
byId('zoom-out').addEventListener('click', () => panZoom.zoomBy(0.8));
byId('zoom-reset').addEventListener('click', () => panZoom.reset());

async function scan(photo: Blob): Promise<void> {
  const t0 = performance.now();
  const error = byId('scan-error');
  error.hidden = true;
  byId('count').textContent = '…';
  if (photoUrl) URL.revokeObjectURL(photoUrl);
  photoUrl = URL.createObjectURL(photo);
  // Display decoding overlaps the scan.
  const shown = showPhoto(photoUrl);
  try {
    const outcome = await manager.scan(photo);
    const { result } = outcome;
    byId('result').hidden = false;
    await shown;
    renderResult(result);
    panZoom.reset();
    // Boxes are drawn at the next frame.
    await new Promise<void>((r) => requestAnimationFrame(() => r()));
    const ms = performance.now() - t0;
    lastPhoto = photo;
    lastCount = result.count;
    lastEngine = outcome.engine;
    const count = byId('count');
    count.textContent = String(result.count);
    count.dataset.ms = ms.toFixed(1);
    count.dataset.inferenceMs = result.timingsMs.inference.toFixed(1);
    count.dataset.timings = JSON.stringify(result.timingsMs);
    const fellBack = outcome.fallbacks.length
      ? ` (fell back: ${outcome.fallbacks.map((f) => f.error).join('; ')})`
      : '';
    byId('result-meta').textContent =
      `${result.shelf.rows.length} rows · ${outcome.engine} · ${formatMs(ms)} (inference ${formatMs(result.timingsMs.inference)})${fellBack}`;
    showEngine();
    byId<HTMLButtonElement>('audit-submit').disabled = false;
    byId('audit-hint').textContent = `Submitting sends this photo; the server stores the official count.`;
    void saveHistory(photo, result.count, result.shelf.rows, outcome.engine, ms);
  } catch (err) {
    byId('count').textContent = '–';
    error.textContent = `Could not scan this photo: ${errorText(err)}`;
    error.hidden = false;
  }
}

byId<HTMLInputElement>('file-input').addEventListener('change', (e) => {
  const input = e.currentTarget as HTMLInputElement;
  const file = input.files?.[0];
  if (file) void scan(file);
  input.value = '';
});

// Live camera where getUserMedia exists.
if (navigator.mediaDevices?.getUserMedia) {
  const open = byId('camera-open');
  const panel = byId('camera');
  const video = byId<HTMLVideoElement>('camera-video');
  let stream: MediaStream | undefined;
  const close = () => {
    for (const t of stream?.getTracks() ?? []) t.stop();
    stream = undefined;
    panel.hidden = true;
  };
  open.hidden = false;
  open.addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream;
      panel.hidden = false;
      await video.play();
    } catch (err) {
      const error = byId('scan-error');
      error.textContent = `Camera unavailable: ${errorText(err)}`;
      error.hidden = false;
    }
  });
  byId('camera-close').addEventListener('click', close);
  byId('camera-capture').addEventListener('click', () => {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')?.drawImage(video, 0, 0);
    canvas.toBlob((blob) => blob && void scan(blob), 'image/jpeg', 0.92);
    close();
  });
}

// ---- storage: audits and history -----------------------------------------------------------------
const dbReady = openShelfWatchDb();
let history: HistoryStore | undefined;

async function saveHistory(
  photo: Blob,
  count: number,
  rows: { count: number; gaps: unknown[] }[],
  engine: EngineKind,
  ms: number,
): Promise<void> {
  if (!history) return;
  const thumb = await makeThumbnail(photo);
  await history.add({
    id: crypto.randomUUID(),
    createdAt: Date.now(),
    count,
    rowCounts: rows.map((r) => r.count),
    gaps: rows.reduce((n, r) => n + r.gaps.length, 0),
    engine,
    ms,
    ...(thumb ? { thumbnail: thumb.bytes, thumbnailType: thumb.type } : {}),
  });
  renderHistory(byId('history'), await history.list());
}

void dbReady.then(async (db) => {
  history = new HistoryStore(db, config.historyCap);
  renderHistory(byId('history'), await history.list());
  const queue = new AuditQueue(db);
  const refresh = async () =>
    renderQueue(byId('audit-queue'), await queue.list(), async (id) => {
      await queue.retry(id, settings.apiKey);
      await driver.queued();
    });
  const driver = new AuditSyncDriver(queue, httpAuditSender(config.apiBase), () => void refresh());
  await refresh();
  driver.start();

  byId<HTMLFormElement>('audit-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!lastPhoto) return;
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const note = String(data.get('note') ?? '').trim();
    await queue.enqueue({
      storeId: String(data.get('storeId') ?? '').trim(),
      aisle: String(data.get('aisle') ?? '').trim(),
      ...(note ? { note } : {}),
      photo: await lastPhoto.arrayBuffer(),
      photoType: lastPhoto.type || 'image/jpeg',
      apiKey: settings.apiKey,
      ...(lastCount !== undefined ? { localCount: lastCount } : {}),
    });
    (form.elements.namedItem('note') as HTMLTextAreaElement).value = '';
    // Ask the browser not to evict the queue under storage pressure (best effort).
    void navigator.storage?.persist?.().catch(() => false);
    await driver.queued();
  });
});

// ---- settings -------------------------------------------------------------------------------------
const dialog = byId<HTMLDialogElement>('settings');
const settingsForm = byId<HTMLFormElement>('settings-form');
byId<HTMLInputElement>('audit-store').value = settings.storeId;

byId('settings-open').addEventListener('click', () => {
  for (const r of settingsForm.querySelectorAll<HTMLInputElement>('input[name=engine]'))
    r.checked = r.value === settings.engine;
  byId<HTMLInputElement>('settings-threads').value = String(settings.threads);
  byId<HTMLInputElement>('settings-key').value = settings.apiKey;
  byId<HTMLInputElement>('settings-store').value = settings.storeId;
  dialog.showModal();
});
dialog.addEventListener('close', () => {
  if (dialog.returnValue !== 'save') return;
  const data = new FormData(settingsForm);
  const threads = Number(data.get('threads'));
  settings = {
    engine: (String(data.get('engine') ?? 'auto') as EngineMode) || 'auto',
    threads: Number.isInteger(threads) && threads >= 0 ? threads : 0,
    apiKey: String(data.get('apiKey') ?? ''),
    storeId: String(data.get('storeId') ?? ''),
  };
  saveSettings(settings);
  if (settings.storeId) byId<HTMLInputElement>('audit-store').value = settings.storeId;
  lastEngine = undefined;
  manager.setMode(settings.engine);
});

// ---- service worker and background start -------------------------------------------------------
registerServiceWorker((accept) => {
  const banner = byId('update-banner');
  banner.hidden = false;
  byId('update-reload').addEventListener('click', accept, { once: true });
});

showNetwork();
// The detector (several MB of WASM and model) loads after first paint, off the critical path.
const startEngine = () => manager.startInBackground();
if (document.readyState === 'complete') setTimeout(startEngine, 0);
else addEventListener('load', () => setTimeout(startEngine, 0), { once: true });
