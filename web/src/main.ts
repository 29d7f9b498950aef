/**
 * ShelfWatch PWA entry: opens the database and the settings, builds the shared parts (engine manager,
 * audit queue and its sync driver, history) and mounts the views on the static shell in index.html.
 * Each job lives in its own module: the scan flow (app/scan-flow.ts), photo sources (app/capture.ts),
 * lists (app/lists.ts), setup and settings (ui/setup-view.ts), header status (ui/status-view.ts).
 */
import './styles.css';
import { AppState } from './app/app-state.ts';
import { mountCapture } from './app/capture.ts';
import { mountLists } from './app/lists.ts';
import { ScanFlow } from './app/scan-flow.ts';
import { AuditQueue } from './audits/audit-queue.ts';
import { httpAuditSender } from './audits/send-audit.ts';
import { AuditSyncDriver } from './audits/sync-driver.ts';
import { config } from './config.ts';
import { detectWasmSimd, WorkerDeviceEngine } from './engine/device-engine.ts';
import { EngineManager } from './engine/engine-manager.ts';
import { isCached, modelCacheName, ortCacheName } from './engine/model-cache.ts';
import { DEFAULT_THRESHOLDS } from './engine/policy.ts';
import { HttpServerEngine } from './engine/server-engine.ts';
import { HistoryStore } from './history/history-store.ts';
import { registerServiceWorker } from './pwa/register.ts';
import { loadSettings } from './settings.ts';
import { openShelfWatchDb } from './storage/db.ts';
import { byId } from './ui/dom.ts';
import { MARKS } from './ui/palette.ts';
import { showRecord } from './ui/record-view.ts';
import { mountSettings, mountSetup } from './ui/setup-view.ts';
import { renderEngine, renderNetwork, renderOfflineReady } from './ui/status-view.ts';
import { currentStep, showStep } from './ui/steps.ts';

const db = await openShelfWatchDb();
const settings = await loadSettings(db, localStorage);

const nav = navigator as Navigator & { deviceMemory?: number };
const caps = {
  wasmSimd: detectWasmSimd(),
  workerImaging: typeof OffscreenCanvas !== 'undefined' && typeof createImageBitmap === 'function',
  crossOriginIsolated: self.crossOriginIsolated === true,
  modelShipped: config.modelUrl !== '',
  ...(nav.hardwareConcurrency ? { cores: nav.hardwareConcurrency } : {}),
  ...(nav.deviceMemory ? { memoryGb: nav.deviceMemory } : {}),
};
const threads = !caps.crossOriginIsolated
  ? 1
  : settings.threads > 0
    ? settings.threads
    : Math.max(1, Math.min(caps.cores ?? 1, DEFAULT_THRESHOLDS.maxThreads));

const manager = new EngineManager({
  caps,
  mode: settings.engine,
  device: new WorkerDeviceEngine(threads),
  server: new HttpServerEngine(config.apiBase),
  thresholds: { ...DEFAULT_THRESHOLDS, warmupBudgetMs: config.warmupBudgetMs },
  downloadSizes: { model: config.modelBytes, wasm: config.ortWasmBytes },
  isOnline: () => navigator.onLine,
  onChange: () => showEngine(),
});
const queue = new AuditQueue(db);
const scans = new HistoryStore(db, { cap: config.historyCap });
// The key is read from the settings at every send; it is never stored with an audit.
const driver: AuditSyncDriver = new AuditSyncDriver(
  queue,
  httpAuditSender(async () => app.settings.apiKey, config.apiBase),
  () => app.changed(),
);
const app: AppState = new AppState(db, settings, queue, scans, manager, driver, config.apiBase);

let lastState = '';
function showEngine(): void {
  const s = manager.snapshot();
  renderEngine(s, app.scannedOn ?? manager.plan()[0] ?? 'none');
  // Offline readiness changes with the engine's state, not with each download step.
  if (s.device !== lastState) {
    lastState = s.device;
    void updateOfflineReady();
  }
}

/** Ready offline: the page is served by the service worker and the model and WASM are stored. */
async function updateOfflineReady(): Promise<void> {
  const s = manager.snapshot();
  const stored =
    (s.device === 'ready' || s.device === 'slow') &&
    navigator.serviceWorker?.controller != null &&
    (await isCached(config.modelUrl, modelCacheName(config.modelVersion))) &&
    (await isCached(`${config.ortBase}ort-wasm-simd-threaded.wasm`, ortCacheName(config.ortVersion)));
  renderOfflineReady(stored);
}

// Legend swatches use the overlay's colours (one palette).
for (const el of document.querySelectorAll<HTMLElement>('.swatch[data-mark]')) {
  el.style.setProperty('--mark', MARKS[el.dataset.mark as keyof typeof MARKS]);
}

const flow = new ScanFlow(app);
const refreshLists = mountLists(app, flow, () => byId('settings-open').click());
mountCapture(
  (file) => void flow.takePhoto(file),
  (text) => flow.toCapture({ code: 'CAMERA', text, action: 'retake' }),
);
mountSettings(app);
app.onSettings((s, before) => {
  if (s.engine !== before.engine) {
    app.scannedOn = undefined;
    manager.setMode(s.engine);
  }
  // A new key: audits waiting for one, or refused for the old one, go now.
  if (s.apiKey !== before.apiKey) {
    void (async () => {
      for (const a of await queue.list()) {
        if (a.status === 'failed' && a.lastErrorCode === 'UNAUTHORIZED') await queue.retry(a.id);
      }
      await driver.run(true);
    })();
  }
});
mountSetup(app, () => showStep('capture'));

byId('nav-scan').addEventListener('click', () => showStep(flow.shownId ? 'review' : 'capture'));
byId('nav-history').addEventListener('click', () => {
  void refreshLists();
  showStep('history');
});
// The header names where the last scan ran.
app.onChange(showEngine);

function showNetwork(): void {
  renderNetwork(navigator.onLine);
  showEngine();
  app.changed();
}
addEventListener('online', showNetwork);
addEventListener('offline', showNetwork);

// `#audit/<id>`: the stored record behind a confirmation's link.
const route = () => {
  const m = /^#audit\/([0-9a-f-]{36})$/i.exec(location.hash);
  if (m) void showRecord(m[1]!, app.settings.apiKey, config.apiBase);
};
addEventListener('hashchange', route);
byId<HTMLDialogElement>('record').addEventListener('close', () => {
  if (location.hash.startsWith('#audit/'))
    history.replaceState(null, '', location.pathname + location.search);
});

showStep(settings.setupDone ? 'capture' : 'setup', false);
renderNetwork(navigator.onLine);
showEngine();
route();

/**
 * Everything not needed for the first screen runs after the load event, one job per task, so that
 * none of them (nor the first layout) makes a long task on a slow phone: the audit queue (prune,
 * lists, sync), the service worker, then the detector (several MB of WASM and model).
 */
const later: (() => unknown)[] = [
  () => (currentStep() === 'setup' ? byId('setup-key').focus() : undefined),
  () => queue.prune().then(refreshLists),
  () => driver.start(),
  () =>
    registerServiceWorker(
      (accept) => {
        byId('update-banner').hidden = false;
        byId('update-reload').addEventListener('click', accept, { once: true });
      },
      () => void updateOfflineReady(),
    ),
  () => manager.startInBackground(),
];
const runLater = () => {
  const job = later.shift();
  if (!job) return;
  void job();
  setTimeout(runLater, 0);
};
if (document.readyState === 'complete') setTimeout(runLater, 0);
else addEventListener('load', () => setTimeout(runLater, 0), { once: true });
