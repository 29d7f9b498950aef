/**
 * The live camera: a full-screen viewfinder at the camera's full resolution. `getUserMedia` asks for
 * the back camera with an ideal size far above any sensor (the browser then picks the largest mode it
 * has); the photo is taken with `ImageCapture.takePhoto()` where the browser has it (full sensor
 * resolution, not the video frame), else grabbed from the video at its full size. The torch is offered
 * where the track says it supports it.
 */

interface TorchCapabilities extends MediaTrackCapabilities {
  torch?: boolean;
}

/** Chromium's ImageCapture (not in TypeScript's DOM lib). */
interface ImageCaptureLike {
  takePhoto(): Promise<Blob>;
}
type ImageCaptureCtor = new (track: MediaStreamTrack) => ImageCaptureLike;

export interface CameraSession {
  /** The video track's size (what the viewfinder shows). */
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly hasTorch: boolean;
  /** How photos are taken: `takePhoto` (ImageCapture) or `video-frame`. */
  readonly method: 'takePhoto' | 'video-frame';
  setTorch(on: boolean): Promise<void>;
  /** Takes one photo as a JPEG/PNG Blob. */
  capture(): Promise<Blob>;
  close(): void;
}

/** Whether this browser can show a live camera at all. */
export function cameraAvailable(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/** Opens the back camera into `video`. Rejects when there is no camera or permission was refused. */
export async function openCamera(video: HTMLVideoElement): Promise<CameraSession> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: 'environment' }, width: { ideal: 8192 }, height: { ideal: 8192 } },
  });
  const track = stream.getVideoTracks()[0];
  if (!track) {
    for (const t of stream.getTracks()) t.stop();
    throw new Error('the camera gave no video');
  }
  video.srcObject = stream;
  await video.play();
  const caps = (track.getCapabilities?.() ?? {}) as TorchCapabilities;
  const Ctor = (globalThis as { ImageCapture?: ImageCaptureCtor }).ImageCapture;
  const imageCapture = Ctor ? new Ctor(track) : undefined;
  let torch = false;

  const grabFrame = async (): Promise<Blob> => {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d')?.drawImage(video, 0, 0);
    return new Promise((resolve, reject) =>
      canvas.toBlob(
        (b) => (b ? resolve(b) : reject(new Error('could not grab the frame'))),
        'image/jpeg',
        0.92,
      ),
    );
  };

  return {
    videoWidth: video.videoWidth,
    videoHeight: video.videoHeight,
    hasTorch: caps.torch === true,
    method: imageCapture ? 'takePhoto' : 'video-frame',
    async setTorch(on) {
      torch = on;
      await track.applyConstraints({ advanced: [{ torch } as MediaTrackConstraintSet] });
    },
    async capture() {
      if (!imageCapture) return grabFrame();
      try {
        // No photo settings: the default is the sensor's full size. (Asking for the reported
        // maximum can give less: Chromium's fake camera reports 1920x1080 for a 3840x2160 stream.)
        const photo = await imageCapture.takePhoto();
        const bitmap = await createImageBitmap(photo);
        const smaller = bitmap.width * bitmap.height < video.videoWidth * video.videoHeight;
        bitmap.close();
        return smaller ? grabFrame() : photo;
      } catch {
        // Some drivers refuse takePhoto while streaming; the full-size video frame is the next best.
        return grabFrame();
      }
    },
    close() {
      for (const t of stream.getTracks()) t.stop();
      video.srcObject = null;
    },
  };
}
