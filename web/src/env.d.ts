/// <reference types="vite/client" />
/// <reference lib="webworker" />

interface ImportMetaEnv {
  readonly VITE_MODEL_URL?: string;
  readonly VITE_MODEL_NAME?: string;
  readonly VITE_MODEL_VERSION?: string;
  readonly VITE_MODEL_IMGSZ?: string;
  readonly VITE_MODEL_PROPS?: string;
  readonly VITE_ORT_BASE?: string;
  readonly VITE_ORT_VERSION?: string;
  readonly VITE_MODEL_BYTES?: string;
  readonly VITE_ORT_WASM_BYTES?: string;
  readonly VITE_API_BASE?: string;
  readonly VITE_WARMUP_BUDGET_MS?: string;
  readonly VITE_HISTORY_CAP?: string;
  readonly VITE_RESAMPLE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
