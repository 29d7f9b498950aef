#!/usr/bin/env node
// Copies the shipped model into the image: models/manifest.json and the INT8 file it names, nothing
// else (no FP32 twin, no training runs). Fails when the build's MODEL_VERSION is not the manifest's,
// so an image tag can never disagree with the model inside it.
// Usage: node deploy/docker/stage-model.mjs <models dir> <out dir> [expected version]
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const [modelsDir, outDir, expected] = process.argv.slice(2);
if (!modelsDir || !outDir) {
  console.error('usage: stage-model.mjs <models dir> <out dir> [expected version]');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8'));
if (typeof manifest.version !== 'string' || typeof manifest.int8 !== 'string') {
  console.error('models/manifest.json needs string fields "version" and "int8"');
  process.exit(1);
}
if (expected && expected !== 'unknown' && expected.replace(/^v/, '') !== manifest.version.replace(/^v/, '')) {
  console.error(`MODEL_VERSION ${expected} does not match models/manifest.json version ${manifest.version}`);
  process.exit(1);
}
const int8 = normalize(manifest.int8);
if (int8.startsWith('..') || int8.startsWith('/')) {
  console.error(`manifest int8 path must stay inside models/: ${manifest.int8}`);
  process.exit(1);
}
mkdirSync(dirname(join(outDir, int8)), { recursive: true });
copyFileSync(join(modelsDir, 'manifest.json'), join(outDir, 'manifest.json'));
copyFileSync(join(modelsDir, int8), join(outDir, int8));
console.log(`staged model ${manifest.name ?? ''} ${manifest.version}: ${int8}`);
