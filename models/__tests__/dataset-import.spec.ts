import { describe, expect, it } from 'vitest';
import { havePython, runPython } from './python.js';

// The import rules are Python (they feed training); this runs their unittest suite from the one test command.
const ready = havePython(['numpy', 'PIL', 'yaml'], 'python3-numpy python3-pil python3-yaml');

describe.runIf(ready)('dataset import (python unittest)', () => {
  it('reports malformed YOLO/COCO/VOC inputs with file and line, and skips or refuses them', () => {
    const out = runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], 60_000);
    expect(out).toBe('');
  });
});
