import { type ModelMetadata, parseImgsz, parseModelMetadata } from './metadata.js';
import { readOnnxMetadataProps } from './onnx-metadata.js';
import { describe } from './validate.js';

/** `models/manifest.json`: names the shipped model files (relative to the manifest's folder). */
export interface ModelManifest {
  name: string;
  version: string;
  /** The INT8 model file, the one the server and the PWA run. */
  int8: string;
  fp32?: string;
  /** Input size `[height, width]` (or one side), used only when the model's metadata has none. */
  imgsz?: [number, number];
}

/**
 * Checks a parsed `manifest.json`.
 * @param source what to call it in errors (its path)
 * @throws {TypeError} naming the missing or malformed field
 */
export function parseModelManifest(value: unknown, source = 'manifest'): ModelManifest {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`${source} must be a JSON object, got ${describe(value)}`);
  const m = value as Record<string, unknown>;
  for (const key of ['name', 'version', 'int8'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '')
      throw new TypeError(`${source} needs a non-empty string "${key}", got ${describe(m[key])}`);
  }
  if (m.fp32 !== undefined && typeof m.fp32 !== 'string')
    throw new TypeError(`${source} "fp32" must be a string, got ${describe(m.fp32)}`);
  const manifest: ModelManifest = {
    name: m.name as string,
    version: m.version as string,
    int8: m.int8 as string,
  };
  if (typeof m.fp32 === 'string') manifest.fp32 = m.fp32;
  if (m.imgsz !== undefined) {
    const sizes = Array.isArray(m.imgsz) ? m.imgsz : [m.imgsz];
    if (
      sizes.length < 1 ||
      sizes.length > 2 ||
      !sizes.every((v) => Number.isSafeInteger(v) && (v as number) >= 1)
    )
      throw new TypeError(`${source} "imgsz" must be [height, width] or one size, got ${describe(m.imgsz)}`);
    manifest.imgsz = parseImgsz(`[${sizes.join(', ')}]`);
  }
  return manifest;
}

/** What every adapter needs to know about the model it runs. */
export interface ModelSpec {
  name: string;
  version: string;
  /** Class names by class index. */
  names: string[];
  /** Model input `[height, width]` in pixels. */
  imgsz: [number, number];
  stride: number;
  metadata: ModelMetadata;
}

/**
 * The one reader of model facts: the ONNX `metadata_props` win; the manifest (or what a build baked in
 * from it) fills a missing name, version or input size.
 * @param model the `.onnx` bytes, or its `metadata_props` already read (the PWA build does that)
 * @throws {TypeError|RangeError} when the file or a property is malformed
 */
export function describeModel(
  model: Uint8Array | Record<string, string>,
  fallback: Partial<Pick<ModelManifest, 'name' | 'version' | 'imgsz'>> | null = null,
): ModelSpec {
  const props = model instanceof Uint8Array ? readOnnxMetadataProps(model) : model;
  const metadata = parseModelMetadata(props);
  const missing = (key: string) => metadata.defaulted.includes(key);
  return {
    name: missing('name') && fallback?.name ? fallback.name : metadata.name,
    version: missing('version') && fallback?.version ? fallback.version : metadata.version,
    names: metadata.names,
    imgsz: missing('imgsz') && fallback?.imgsz ? fallback.imgsz : metadata.imgsz,
    stride: metadata.stride,
    metadata,
  };
}
