import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeModel, type ModelManifest, type ModelSpec, parseModelManifest } from '@shelfwatch/shared';
import type { Config } from '../config.js';

export type { ModelManifest };

/** What the server knows about the loaded model (the shared reader's answer, plus the file). */
export interface ModelDescription extends ModelSpec {
  path: string;
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
    manifest = parseModelManifest(
      JSON.parse(await readFile(config.MANIFEST_PATH, 'utf8')),
      config.MANIFEST_PATH,
    );
  } catch (err) {
    if (!config.MODEL_PATH) {
      throw new Error(
        `MODEL_PATH is unset and ${config.MANIFEST_PATH} cannot be read: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  if (config.MODEL_PATH) return { path: resolve(config.MODEL_PATH), manifest };
  if (!manifest) throw new Error(`${config.MANIFEST_PATH} names no "int8" model file`);
  // The manifest's names are relative to its own folder (`models/`); a repo-root-relative name works too.
  const besideManifest = resolve(dirname(config.MANIFEST_PATH), manifest.int8);
  const fromRoot = resolve(dirname(config.MANIFEST_PATH), '..', manifest.int8);
  return { path: existsSync(besideManifest) || !existsSync(fromRoot) ? besideManifest : fromRoot, manifest };
}

/** Reads the model's facts with the shared reader: ONNX metadata first, the manifest fills gaps. */
export async function readModel(path: string, manifest: ModelManifest | null): Promise<ModelDescription> {
  return { ...describeModel(new Uint8Array(await readFile(path)), manifest), path };
}
