/**
 * First-run setup and the Settings dialog. The API key is checked against the server as soon as it is
 * entered (`GET /me`); the answer names the key, fills the store picker with the key's stores and
 * brings the server's upload limits, all kept for offline use.
 */
import { checkKey, type KeyCheck, keyAllowsStore } from '../api/me.ts';
import { keyFieldText } from '../api/messages.ts';
import type { AppState } from '../app/app-state.ts';
import type { EngineMode } from '../engine/policy.ts';
import { byId, h } from './dom.ts';
import { plural } from './format.ts';

function renderKeyStatus(el: HTMLElement, check: KeyCheck | 'checking' | undefined): void {
  el.dataset.state =
    check === undefined ? '' : check === 'checking' ? 'checking' : check.ok ? 'ok' : check.error.code;
  if (check === undefined) el.textContent = '';
  else if (check === 'checking') el.textContent = 'Checking the key with the server…';
  else if (check.ok) {
    const stores = check.info.stores.includes('*') ? 'every store' : check.info.stores.join(', ');
    el.textContent = `✓ Key “${check.info.keyName}” works, for ${check.info.stores.includes('*') ? stores : `${plural(check.info.stores.length, 'store')}: ${stores}`}.`;
  } else el.textContent = keyFieldText(check.error);
}

function fillStores(check: KeyCheck | undefined): void {
  const stores = check?.ok ? check.info.stores.filter((s) => s !== '*') : [];
  byId('store-options').replaceChildren(...stores.map((s) => h('option', { value: s })));
}

/**
 * Checks `key` and shows the answer in `status`; stale answers (the key changed meanwhile) are
 * dropped. A key for exactly one store fills an empty store field.
 */
function keyChecker(app: AppState, input: HTMLInputElement, status: HTMLElement, store: HTMLInputElement) {
  let last: { key: string; check: Promise<KeyCheck> } | undefined;
  const run = (): Promise<KeyCheck> => {
    const key = input.value.trim();
    if (last?.key === key) return last.check;
    renderKeyStatus(status, 'checking');
    const check = checkKey(key, app.apiBase).then((c) => {
      if (input.value.trim() === key) {
        renderKeyStatus(status, c);
        fillStores(c);
        const only =
          c.ok && c.info.stores.length === 1 && c.info.stores[0] !== '*' ? c.info.stores[0] : undefined;
        if (only && !store.value.trim()) store.value = only;
      }
      return c;
    });
    last = { key, check };
    return check;
  };
  input.addEventListener('change', () => void run());
  return run;
}

/** The first-run setup step; `onDone` runs once it is finished or skipped. */
export function mountSetup(app: AppState, onDone: () => void): void {
  const form = byId<HTMLFormElement>('setup-form');
  const key = byId<HTMLInputElement>('setup-key');
  const store = byId<HTMLInputElement>('setup-store');
  const status = byId('setup-key-status');
  key.value = app.settings.apiKey;
  store.value = app.settings.storeId;
  const check = keyChecker(app, key, status, store);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const result = key.value.trim() ? await check() : undefined;
    const storeId = store.value.trim();
    if (result && !result.ok && result.error.action === 'settings') {
      key.focus();
      return;
    }
    if (result?.ok && storeId && !keyAllowsStore(result.info, storeId)) {
      status.textContent = `This key may not file audits for store “${storeId}”. Pick one of its stores.`;
      store.focus();
      return;
    }
    if (!storeId && result?.ok && result.info.stores.length === 1 && result.info.stores[0] !== '*') {
      store.value = result.info.stores[0]!;
    }
    await app.updateSettings({
      apiKey: key.value.trim(),
      storeId: store.value.trim(),
      setupDone: true,
      ...(result?.ok ? { keyInfo: result.info } : {}),
    });
    onDone();
  });
  byId('setup-later').addEventListener('click', async () => {
    await app.updateSettings({ setupDone: true });
    onDone();
  });
}

/** The Settings dialog. */
export function mountSettings(app: AppState): void {
  const dialog = byId<HTMLDialogElement>('settings');
  const form = byId<HTMLFormElement>('settings-form');
  const key = byId<HTMLInputElement>('settings-key');
  const status = byId('settings-key-status');
  const check = keyChecker(app, key, status, byId<HTMLInputElement>('settings-store'));
  let checked: KeyCheck | undefined;
  byId('settings-key-check').addEventListener('click', async () => {
    checked = await check();
  });
  byId('settings-open').addEventListener('click', () => {
    const s = app.settings;
    for (const r of form.querySelectorAll<HTMLInputElement>('input[name=engine]'))
      r.checked = r.value === s.engine;
    byId<HTMLInputElement>('settings-threads').value = String(s.threads);
    key.value = s.apiKey;
    byId<HTMLInputElement>('settings-store').value = s.storeId;
    checked = undefined;
    renderKeyStatus(status, s.keyInfo ? { ok: true, info: s.keyInfo } : undefined);
    dialog.showModal();
  });
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'save') return;
    const data = new FormData(form);
    const threads = Number(data.get('threads'));
    const apiKey = String(data.get('apiKey') ?? '').trim();
    const keyChanged = apiKey !== app.settings.apiKey;
    await app.updateSettings({
      engine: (String(data.get('engine') ?? 'auto') as EngineMode) || 'auto',
      threads: Number.isInteger(threads) && threads >= 0 ? threads : 0,
      apiKey,
      storeId: String(data.get('storeId') ?? '').trim(),
      ...(checked?.ok ? { keyInfo: checked.info } : {}),
    });
    // A new key: check it (limits, stores) without making the user wait.
    if (keyChanged && !checked) {
      void checkKey(apiKey, app.apiBase).then(async (c) => {
        if (c.ok && app.settings.apiKey === apiKey) await app.updateSettings({ keyInfo: c.info });
      });
    }
  });
}
