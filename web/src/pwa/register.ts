/**
 * Registers the service worker with workbox-window and offers updates: a waiting worker shows a
 * banner; "Update now" activates it and reloads. Queued audits live in IndexedDB, so the reload keeps them.
 */
import { Workbox } from 'workbox-window';

export function registerServiceWorker(showPrompt: (accept: () => void) => void): Workbox | undefined {
  if (!('serviceWorker' in navigator)) return undefined;
  const wb = new Workbox('/sw.js', { scope: '/' });
  wb.addEventListener('waiting', () => {
    showPrompt(() => {
      wb.addEventListener('controlling', () => location.reload());
      wb.messageSkipWaiting();
    });
  });
  void wb.register().catch(() => {});
  return wb;
}
