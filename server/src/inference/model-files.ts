import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type ModelMetadata, parseModelMetadata, readOnnxMetadataProps } from '@shelfwatch/shared';
import type { Config } from '../config.js';

/** `models/manifest.json` (docs/ARCHITECTURE.md): names the shipped model files, relative to the repo root. */
export interface ModelManifest {
  name: string;
  version: string;
  int8: string;
  fp32?: string;
  imgsz?: number | number[];
}

/** What the server knows about the loaded model. */
export interface ModelDescription {
  path: string;
  name: string;
  version: string;
  names: string[];
  /** `[height, width]` of the model input. */
  imgsz: [number, number];
  metadata: ModelMetadata;
}

/**
 * Finds the model file: MODEL_PATH if set, else the manifest's `int8` entry.
 * @throws {Error} when neither gives a file name
 */
export async function resolveModelPath(config: Pick<Config, 'MODEL_PATH' | 'MANIFEST_PATH'>): Promise<{
  path: string;
  manifest: ModelManifest | null;
}> {
  let manifest: ModelManifest | null = null;
  try {
    manifest = JSON.parse(await readFile(config.MANIFEST_PATH, 'utf8')) as ModelManifest;
  } catch (err) {
    if (!config.MODEL_PATH) {
      throw new Error(`MODEL_PATH is unset and ${config.MANIFEST_PATH} cannot be read`, { cause: err });
    }
  }
  if (config.MODEL_PATH) return { path: resolve(config.MODEL_PATH), manifest };
  if (!manifest || typeof manifest.int8 !== 'string' || manifest.int8 === '') {
    throw new Error(`${config.MANIFEST_PATH} names no "int8" model file`);
  }
  // The manifest's names are relative to its own folder (`models/`); a repo-root-relative name works too.
  const besideManifest = resolve(dirname(config.MANIFEST_PATH), manifest.int8);
  const fromRoot = resolve(dirname(config.MANIFEST_PATH), '..', manifest.int8);
  return { path: existsSync(besideManifest) || !existsSync(fromRoot) ? besideManifest : fromRoot, manifest };
}

/**
 * Reads the model's metadata (names, input size, version). The ONNX metadata wins; the manifest
 * fills a missing name or version.
 */
export async function describeModel(path: string, manifest: ModelManifest | null): Promise<ModelDescription> {
  const metadata = parseModelMetadata(readOnnxMetadataProps(await readFile(path)));
  const name = metadata.defaulted.includes('name') && manifest?.name ? manifest.name : metadata.name;
  const version =
    metadata.defaulted.includes('version') && manifest?.version ? manifest.version : metadata.version;
  return { path, name, version, names: metadata.names, imgsz: metadata.imgsz, metadata };
}
