import { describe, expect, it } from 'vitest';
import { havePython, runPython } from './python.js';

// The training pipeline's own rules are Python: this runs its unittest suite (models/tests) from the
// one test command: dataset import (malformed YOLO/COCO/VOC inputs) and shelf synthesis (stacks,
// older splits rendering as before).
const ready = havePython(['numpy', 'PIL', 'yaml'], 'python3-numpy python3-pil python3-yaml');

describe.runIf(ready)('training pipeline (python unittest)', () => {
  it('imports datasets with file-and-line reports and renders shelves as specified', () => {
    const out = runPython(['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], 60_000);
    expect(out).toBe('');
  });
});
