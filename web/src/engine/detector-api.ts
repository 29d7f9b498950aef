/**
 * The on-device detector's API: the one interface the page reaches through comlink
 * (`detector.worker.ts` implements it; `device-engine.ts` wraps it). Everything crossing it is
 * structured-cloneable; callbacks are passed with `Comlink.proxy`.
 */
import type { PredictResult } from '@shelfwatch/shared';

export interface DetectorInitOptions {
  /** Same-origin URL of the ONNX model (versioned path). */
  modelUrl: string;
  /** Sizes of the model and the WASM binary in bytes, known at build time (0 = unknown). */
  modelBytes?: number;
  wasmBytes?: number;
  modelName: string;
  modelVersion: string;
  /** The model's ONNX metadata_props, read at build time. */
  modelProps: Record<string, string>;
  /** Square input side when the metadata has no `imgsz`. */
  inputSize: number;
  /** Folder URL holding the ORT glue and WASM binary. */
  ortBase: string;
  /**
   * Cache Storage name for the ORT WASM binary, e.g. `shelfwatch-ort-<ort version>`. The worker
   * downloads it itself (with progress) and hands the bytes to ORT, so it is fetched once.
   */
  ortCacheName: string;
  /** WASM threads to ask for; ORT uses 1 when the page is not cross-origin isolated. */
  threads: number;
  /** Cache Storage name for the model bytes, e.g. `shelfwatch-model-<version>`. */
  cacheName: string;
  /** How the photo is resized to the model input (see `preprocess.ts`). @default 'reference' */
  resample?: 'reference' | 'high' | 'medium' | 'low';
}

/** The files the detector downloads once and keeps for offline use. */
export type DetectorFile = 'model' | 'wasm';

/** Download progress of one file: bytes received and total (0 when unknown). */
export type ProgressCallback = (file: DetectorFile, loaded: number, total: number) => void;

export interface DetectorInfo {
  /** Threads ORT really runs with (1 without cross-origin isolation). */
  threads: number;
  crossOriginIsolated: boolean;
  /** Whether the model bytes came from Cache Storage (no download). */
  fromCache: boolean;
  /** Time to create the session, ms. */
  loadMs: number;
  inputSize: [height: number, width: number];
}

export interface DetectOptions {
  conf?: number;
  iou?: number;
  maxDetections?: number;
  /** The page's scan id; `cancel(scanId)` makes this detect stop at its next step. */
  scanId?: number;
}

/** The rejection of a cancelled detect (its `name`; comlink keeps name and message). */
export const DETECT_CANCELLED = 'AbortError';

export interface DetectorApi {
  /** Loads ORT and the model (download with progress, or from cache); resolves when a session exists. */
  init(options: DetectorInitOptions, onProgress?: ProgressCallback): Promise<DetectorInfo>;
  /** Runs one inference on a blank input; returns its wall time in ms (the policy's speed probe). */
  warmup(): Promise<number>;
  /**
   * Decodes the photo (EXIF-upright), letterboxes, runs the model and post-processes with the shared
   * core. Detects run one after another, never interleaved.
   */
  detect(image: Blob, options?: DetectOptions): Promise<PredictResult>;
  /** Makes the detect of `scanId` (running or queued) reject with `DETECT_CANCELLED` at its next step. */
  cancel(scanId: number): Promise<void>;
  /** Releases the session. */
  dispose(): Promise<void>;
}
