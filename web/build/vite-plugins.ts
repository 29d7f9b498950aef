/**
 * Build-time pieces of the PWA: the shipped model and the onnxruntime-web WASM files are copied into
 * the build under versioned URLs (`models/<version>/<file>`, `ort/<ortVersion>/...`), their URLs are
 * compiled in as `import.meta.env.VITE_*`, and the service worker is built by vite-plugin-pwa
 * (injectManifest: our own `src/sw.ts`).
 */

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOnnxMetadataProps } from '@shelfwatch/shared';
import { defaultClientConditions, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(webDir, '..');
const require = createRequire(join(webDir, 'package.json'));

/** ORT files the WASM backend loads at run time: the Emscripten glue (also the pthread worker script) and the binary. */
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'] as const;

interface ShippedModel {
  name: string;
  version: string;
  file: string;
  /** Absolute path of the INT8 file on disk. */
  path: string;
  /** URL path inside the build, with the version in it. */
  url: string;
  props: Record<string, string>;
  imgsz: number;
  bytes: number;
}

function ortDist(): { dir: string; version: string } {
  // `./package.json` is not exported; the WASM binary is, and sits in `dist/`.
  const dir = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  const version = (JSON.parse(readFileSync(join(dir, '..', 'package.json'), 'utf8')) as { version: string })
    .version;
  return { dir, version };
}

/** The INT8 model named by `models/manifest.json`, or null (with a warning) when there is none yet. */
function shippedModel(): ShippedModel | null {
  const manifestPath = process.env.SHELFWATCH_MODEL_MANIFEST ?? join(repoDir, 'models', 'manifest.json');
  if (!existsSync(manifestPath)) {
    console.warn(`[shelfwatch] ${manifestPath} not found: the build ships no model, scans go to the server`);
    return null;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    name?: string;
    version?: string;
    int8?: string;
    imgsz?: number | number[];
  };
  if (!manifest.int8 || !manifest.version) throw new Error(`${manifestPath} lacks "int8" or "version"`);
  const path = resolve(dirname(manifestPath), manifest.int8);
  const bytes = readFileSync(path);
  const props = readOnnxMetadataProps(bytes);
  const file = manifest.int8.split('/').pop()!;
  const imgsz = Array.isArray(manifest.imgsz) ? manifest.imgsz[0]! : (manifest.imgsz ?? 640);
  const safeVersion = encodeURIComponent(manifest.version);
  return {
    name: manifest.name ?? props.name ?? 'shelfwatch',
    version: manifest.version,
    file,
    path,
    url: `/models/${safeVersion}/${encodeURIComponent(file)}`,
    props,
    imgsz,
    bytes: bytes.byteLength,
  };
}

let cachedModel: ShippedModel | null | undefined;
function model(): ShippedModel | null {
  if (cachedModel === undefined) cachedModel = shippedModel();
  return cachedModel;
}

/** `define` entries: the build-time facts that `src/config.ts` reads from `import.meta.env`. */
export function webBuildDefines(): Record<string, string> {
  const m = model();
  const ort = ortDist();
  return {
    'import.meta.env.VITE_MODEL_URL': JSON.stringify(m?.url ?? ''),
    'import.meta.env.VITE_MODEL_NAME': JSON.stringify(m?.name ?? ''),
    'import.meta.env.VITE_MODEL_VERSION': JSON.stringify(m?.version ?? ''),
    'import.meta.env.VITE_MODEL_IMGSZ': JSON.stringify(String(m?.imgsz ?? 640)),
    'import.meta.env.VITE_MODEL_PROPS': JSON.stringify(JSON.stringify(m?.props ?? {})),
    'import.meta.env.VITE_ORT_BASE': JSON.stringify(`/ort/${ort.version}/`),
    'import.meta.env.VITE_ORT_VERSION': JSON.stringify(ort.version),
    'import.meta.env.VITE_MODEL_BYTES': JSON.stringify(String(m?.bytes ?? 0)),
    'import.meta.env.VITE_ORT_WASM_BYTES': JSON.stringify(
      String(statSync(join(ort.dir, 'ort-wasm-simd-threaded.wasm')).size),
    ),
  };
}

/** Emits the model and the ORT WASM files as build assets under versioned paths. */
function shelfwatchAssets(): Plugin {
  return {
    name: 'shelfwatch-assets',
    config() {
      const ort = ortDist();
      return {
        resolve: {
          conditions: ['source', ...defaultClientConditions],
          // The non-bundled ORT build loads its glue and WASM from `env.wasm.wasmPaths` (our origin),
          // so pthread workers start from the glue file rather than from our worker chunk.
          alias: [{ find: /^onnxruntime-web\/wasm$/, replacement: join(ort.dir, 'ort.wasm.min.mjs') }],
        },
      };
    },
    generateBundle() {
      const ort = ortDist();
      for (const name of ORT_FILES) {
        this.emitFile({
          type: 'asset',
          fileName: `ort/${ort.version}/${name}`,
          source: readFileSync(join(ort.dir, name)),
        });
      }
      const m = model();
      if (m) {
        this.emitFile({
          type: 'asset',
          fileName: decodeURIComponent(m.url.slice(1)),
          source: readFileSync(m.path),
        });
      }
    },
  };
}

/** All Vite plugins of the PWA build. */
export function pwaPlugins(): Plugin[] {
  const ort = ortDist();
  return [
    shelfwatchAssets(),
    ...VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['icons/*.png', 'icons/*.svg'],
      manifest: {
        id: '/',
        name: 'ShelfWatch',
        short_name: 'ShelfWatch',
        description: 'Count products on a shelf photo, find empty gaps, and file audits, even offline.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#0b5d3b',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        // App shell and the ORT glue are precached. The model and the ORT WASM binary are downloaded
        // once by the detector worker (with progress) into versioned caches (engine/model-cache.ts).
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}', `ort/${ort.version}/*.mjs`],
        globIgnores: ['models/**', 'ort/**/*.wasm'],
        maximumFileSizeToCacheInBytes: 48 * 1024 * 1024,
        // Hashed names and versioned folders need no revision query.
        dontCacheBustURLsMatching: /(^assets\/|^ort\/)/,
        buildPlugins: { vite: [] },
      },
      devOptions: { enabled: false },
    }),
  ];
}
