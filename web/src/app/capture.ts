/**
 * Where photos come from: the live camera (full-screen viewfinder, full resolution, torch) where the
 * browser has `getUserMedia`, else the file input with `capture` (the phone's own camera app); and the
 * gallery button. Every photo goes to `onPhoto`.
 */

import { type CameraSession, cameraAvailable, openCamera } from '../camera/camera.ts';
import { errorText } from '../engine/engine-manager.ts';
import { byId } from '../ui/dom.ts';

export function mountCapture(onPhoto: (file: Blob) => void, onError: (text: string) => void): void {
  for (const id of ['file-input', 'file-camera']) {
    byId<HTMLInputElement>(id).addEventListener('change', (e) => {
      const input = e.currentTarget as HTMLInputElement;
      const file = input.files?.[0];
      input.value = '';
      if (file) onPhoto(file);
    });
  }
  if (!cameraAvailable()) return;

  const open = byId<HTMLButtonElement>('camera-open');
  const panel = byId('camera');
  const video = byId<HTMLVideoElement>('camera-video');
  const torch = byId<HTMLButtonElement>('camera-torch');
  const info = byId('camera-info');
  let session: CameraSession | undefined;
  let opener: HTMLElement | null = null;
  open.hidden = false;
  byId('camera-fallback').hidden = true;

  const close = () => {
    session?.close();
    session = undefined;
    panel.hidden = true;
    document.body.classList.remove('camera-open');
    opener?.focus();
  };
  open.addEventListener('click', async () => {
    opener = open;
    panel.hidden = false;
    document.body.classList.add('camera-open');
    try {
      session = await openCamera(video);
    } catch (err) {
      close();
      // No camera or no permission: the phone's camera app through the file input still works.
      open.hidden = true;
      byId('camera-fallback').hidden = false;
      onError(
        `The camera could not be opened (${errorText(err)}). Use “Take photo” to use the phone's camera app.`,
      );
      return;
    }
    panel.dataset.videoSize = `${session.videoWidth}x${session.videoHeight}`;
    panel.dataset.method = session.method;
    info.textContent = `${session.videoWidth}×${session.videoHeight}`;
    torch.hidden = !session.hasTorch;
    torch.setAttribute('aria-pressed', 'false');
    byId('camera-capture').focus();
  });
  torch.addEventListener('click', async () => {
    const on = torch.getAttribute('aria-pressed') !== 'true';
    await session?.setTorch(on).catch(() => {});
    torch.setAttribute('aria-pressed', String(on));
  });
  byId('camera-close').addEventListener('click', close);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') close();
  });
  byId('camera-capture').addEventListener('click', async () => {
    if (!session) return;
    const shutter = byId<HTMLButtonElement>('camera-capture');
    shutter.disabled = true;
    try {
      const photo = await session.capture();
      opener = null;
      close();
      onPhoto(photo);
    } catch (err) {
      onError(`The photo could not be taken (${errorText(err)}).`);
    } finally {
      shutter.disabled = false;
    }
  });
}
