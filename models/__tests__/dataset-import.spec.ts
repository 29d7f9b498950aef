import { describe, expect, it } from 'vitest';
import { pythonLacks, runPython } from './python.js';

// The import rules are Python (they feed training); this runs their unittest suite from the one test command.
const lacks = pythonLacks(['numpy', 'PIL', 'yaml']);
if (lacks)
  console.warn(
    `skipping dataset-import tests: ${lacks} (apt-get install python3-numpy python3-pil python3-yaml)`,
  );

describe.skipIf(lacks !== undefined)('dataset import (python unittest)', () => {
  it('reports malformed YOLO/COCO/VOC inputs with file and line, and skips or refuses them', () => {
    const out = runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], 60_000);
    expect(out).toBe('');
  });
});
