/**
 * The one place the PWA reads `import.meta.env` (docs/CONVENTIONS.md 3). Model and ORT URLs are compiled in by
 * `web/build/vite-plugins.ts` from `models/manifest.json` and the installed onnxruntime-web.
 */

export interface AppConfig {
  /** URL of the INT8 model inside the build, with its version in the path; empty when the build ships none. */
  modelUrl: string;
  modelName: string;
  modelVersion: string;
  /** Square model input side in pixels. @default 640 */
  modelInputSize: number;
  /** The model's ONNX `metadata_props` (names, imgsz, stride, ...). */
  modelProps: Record<string, string>;
  /** Size of the model file in bytes (download progress). @default 0 (unknown) */
  modelBytes: number;
  /** Folder (same origin) holding `ort-wasm-simd-threaded.{mjs,wasm}`. */
  ortBase: string;
  ortVersion: string;
  /** Size of the ORT WASM binary in bytes (download progress). @default 0 (unknown) */
  ortWasmBytes: number;
  /** Base URL of the ShelfWatch API; the PWA is served by the same server. @default '' (same origin) */
  apiBase: string;
  /** Warm-up inference must finish within this many ms for Auto to pick the device. @default 2500 */
  warmupBudgetMs: number;
  /** Most scans kept in history. @default 50 */
  historyCap: number;
}

function parseProps(raw: string | undefined): Record<string, string> {
  try {
    return raw ? (JSON.parse(raw) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export const config: AppConfig = {
  modelUrl: import.meta.env.VITE_MODEL_URL ?? '',
  modelName: import.meta.env.VITE_MODEL_NAME ?? '',
  modelVersion: import.meta.env.VITE_MODEL_VERSION ?? '',
  modelInputSize: Number(import.meta.env.VITE_MODEL_IMGSZ ?? 640) || 640,
  modelProps: parseProps(import.meta.env.VITE_MODEL_PROPS),
  modelBytes: Number(import.meta.env.VITE_MODEL_BYTES ?? 0) || 0,
  ortBase: import.meta.env.VITE_ORT_BASE ?? '/ort/',
  ortVersion: import.meta.env.VITE_ORT_VERSION ?? '',
  ortWasmBytes: Number(import.meta.env.VITE_ORT_WASM_BYTES ?? 0) || 0,
  apiBase: import.meta.env.VITE_API_BASE ?? '',
  warmupBudgetMs: Number(import.meta.env.VITE_WARMUP_BUDGET_MS ?? 2500) || 2500,
  historyCap: Number(import.meta.env.VITE_HISTORY_CAP ?? 50) || 50,
};
