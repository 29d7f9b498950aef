/**
 * The on-device detector's API: the one interface the page reaches through comlink
 * (`detector.worker.ts` implements it; `device-engine.ts` wraps it). Everything crossing it is
 * structured-cloneable; callbacks are passed with `Comlink.proxy`.
 */
import type { PredictResult, DetectOptions as SharedDetectOptions } from '@shelfwatch/shared';

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

/** The thresholds of one detect (the shared options type) and the page's scan id. */
export interface DetectOptions extends SharedDetectOptions {
  /** The page's scan id; `cancel(scanId)` makes this detect stop at its next step. */
  scanId?: number;
}

/** The model input a photo gives, as a checksum (the phone/server parity check). */
export interface InputChecksum {
  /** SHA-256 (hex) of the `[1, 3, h, w]` float32 tensor's bytes (little-endian). */
  sha256: string;
  /** The photo's upright size. */
  width: number;
  height: number;
}

/** The rejection of a cancelled detect (its `name`; comlink keeps name and message). */
export const DETECT_CANCELLED = 'AbortError';

export interface DetectorApi {
  /** Loads ORT and the model (download with progress, or from cache); resolves when a session exists. */
  init(options: DetectorInitOptions, onProgress?: ProgressCallback): Promise<DetectorInfo>;
  /** Runs one inference on a blank input; returns its wall time in ms (the policy's speed probe). */
  warmup(): Promise<number>;
  /**
   * Decodes the photo (EXIF-upright) and runs the shared pipeline (letterbox, model, NMS, rows).
   * Detects run one after another, never interleaved.
   */
  detect(image: Blob, options?: DetectOptions): Promise<PredictResult>;
  /** Makes the detect of `scanId` (running or queued) reject with `DETECT_CANCELLED` at its next step. */
  cancel(scanId: number): Promise<void>;
  /**
   * Decodes the photo and builds the model input for an input of `size`, without running the model:
   * its checksum, which must equal the server's for the same photo (no `init` needed).
   */
  inputChecksum(image: Blob, size: [height: number, width: number]): Promise<InputChecksum>;
  /** Releases the session. */
  dispose(): Promise<void>;
}
