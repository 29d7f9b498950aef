import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { arch } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  describeModel,
  type ModelManifest,
  type ModelSpec,
  parseModelManifest,
  readOnnxInt8WeightRange,
} from '@shelfwatch/shared';
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

/**
 * The smallest and largest int8 weight of the model file, or null for a float model: read once by
 * whoever warns about it (the server at start, the CLI), not by every worker.
 */
export async function readModelInt8Weights(path: string): Promise<[number, number] | null> {
  return readOnnxInt8WeightRange(new Uint8Array(await readFile(path)));
}

/**
 * Whether this CPU multiplies int8 without saturating: x86 without VNNI (AVX2, AVX-512 without
 * VNNI) makes onnxruntime's u8 x s8 kernels add pairs of products in int16 (VPMADDUBSW). True on
 * other architectures (Arm's dot products accumulate in int32), false or null (unknown) on x86.
 */
export function cpuAccumulatesInt8Exactly(cpuinfo = readCpuinfo(), cpu = arch()): boolean | null {
  if (cpu !== 'x64' && cpu !== 'ia32') return true;
  if (cpuinfo === null) return null;
  const flags = /^flags\s*:(.*)$/m.exec(cpuinfo)?.[1]?.split(/\s+/) ?? [];
  return flags.includes('avx512_vnni') || flags.includes('avx_vnni');
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}

/**
 * A warning for an INT8 model whose weights use the full int8 range (beyond +-64) on a CPU that may
 * saturate on them (`cpuAccumulatesInt8Exactly`), or null: such a server finds other boxes than the
 * phone (0.3.3's full-range file found 12 % more boxes than its FP32 twin on an AVX2 machine).
 */
export function int8SaturationWarning(
  model: { path: string; int8Weights: [number, number] | null },
  exact: boolean | null = cpuAccumulatesInt8Exactly(),
): string | null {
  const w = model.int8Weights;
  if (w === null || (w[0] >= -64 && w[1] <= 64) || exact === true) return null;
  return `${model.path} has int8 weights from ${w[0]} to ${w[1]}; on ${exact === false ? 'this CPU (x86 without VNNI)' : 'an x86 CPU without VNNI'} onnxruntime's int8 convolutions saturate on weights beyond +-64 and the counts drift. Quantize the model with 7-bit weights (onnxruntime's reduce_range) or serve its FP32 file.`;
}
