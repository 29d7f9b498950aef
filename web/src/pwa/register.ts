/**
 * Registers the service worker with workbox-window and offers updates: a waiting worker shows a
 * banner; "Update now" activates it and reloads. Queued audits live in IndexedDB, so the reload keeps them.
 */
import { Workbox } from 'workbox-window';

export function registerServiceWorker(showPrompt: (accept: () => void) => void): Workbox | undefined {
  if (!('serviceWorker' in navigator)) return undefined;
  const wb = new Workbox('/sw.js', { scope: '/' });
  wb.addEventListener('waiting', async () => {
    // workbox-window also reports a first install that lingers in `installed` for >200 ms (slow
    // precache on a busy device): only a new worker waiting behind an active one is an update.
    const reg = await navigator.serviceWorker.getRegistration();
    if (!reg?.waiting || !reg.active) return;
    showPrompt(() => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  void wb.register().catch(() => {});
  return wb;
}
