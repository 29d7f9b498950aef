// Root Vite config for the PWA (`web/`). Plugins and their dependencies live in the web package
// (`web/build/`), so this file imports nothing that only the web package installs.
import { fileURLToPath } from 'node:url';
import { pwaPlugins, webBuildDefines } from './web/build/vite-plugins.ts';

export default {
  // Absolute, so that `vite build` works from the repo root and from `web/` (the package script).
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  publicDir: 'public',
  // Explicit so that the e2e harness and the server agree on where the build is.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The ORT WASM binary is copied as an asset, not inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
    // Two pages: the scanner (PWA) and the store dashboard (`/dashboard`, served by the server).
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./web/index.html', import.meta.url)),
        dashboard: fileURLToPath(new URL('./web/dashboard.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' as const },
  define: webBuildDefines(),
  plugins: pwaPlugins(),
};
