/**
 * Registers the service worker with workbox-window and offers updates: a waiting worker shows a
 * banner; "Update now" activates it and reloads. Queued audits live in IndexedDB, so the reload keeps them.
 */
import { Workbox } from 'workbox-window';

export function registerServiceWorker(
  showPrompt: (accept: () => void) => void,
  /** Called when a service worker starts controlling the page (offline readiness may have changed). */
  onControlling?: () => void,
): Workbox | undefined {
  if (!('serviceWorker' in navigator)) return undefined;
  const wb = new Workbox('/sw.js', { scope: '/' });
  // workbox-window also reports a first install that lingers in `installed` for >200 ms (slow
  // precache on a busy device), after `clients.claim()` has already given the page a controller.
  // Only a page that was controlled when it loaded can have an update waiting.
  const controlledAtLoad = navigator.serviceWorker.controller !== null;
  wb.addEventListener('waiting', () => {
    if (!controlledAtLoad) return;
    showPrompt(() => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  navigator.serviceWorker.addEventListener('controllerchange', () => onControlling?.());
  void wb.register().catch(() => {});
  return wb;
}
