import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prerequisite } from '@shelfwatch/test-utils';

/** The Debian interpreter that has python3-torch (apt-get install python3-torch), not a pyenv one on PATH. */
export const PYTHON = process.env.SHELFWATCH_PYTHON ?? '/usr/bin/python3';
export const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Why `modules` cannot be imported by {@link PYTHON}, or undefined when they can. */
export function pythonLacks(modules: readonly string[]): string | undefined {
  const r = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not found (${r.error.message})`;
  if (r.status !== 0)
    return `${PYTHON} cannot import ${modules.join(', ')}: ${r.stderr.trim().split('\n').pop()}`;
  return undefined;
}

/**
 * Whether {@link PYTHON} imports `modules`; when it does not, the tests skip with a message, and
 * under CI=true fail (CI installs the Debian packages, so a missing one is a broken machine).
 */
export function havePython(modules: readonly string[], aptPackages: string): boolean {
  const lacks = pythonLacks(modules);
  return prerequisite(
    `Python modules ${modules.join(', ')}`,
    lacks === undefined,
    `${lacks} (apt-get install ${aptPackages})`,
  );
}

/** Runs `python -m module args` in models/ and throws with its output when it fails. */
export function runPython(args: readonly string[], timeoutMs = 120_000): string {
  const r = spawnSync(PYTHON, args, {
    cwd: MODELS_DIR,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.status !== 0)
    throw new Error(
      `${PYTHON} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`,
    );
  return r.stdout;
}

/**
 * The smallest and largest of an INT8 export's int8 convolution weights (initializers of two or
 * more dimensions), read with the `onnx` module.
 */
export function int8WeightRange(path: string): [number, number] {
  const out = runPython([
    '-c',
    [
      'import sys, onnx',
      'from onnx import numpy_helper',
      'g = onnx.load(sys.argv[1]).graph',
      'w = [numpy_helper.to_array(i) for i in g.initializer if i.data_type == onnx.TensorProto.INT8 and len(i.dims) >= 2]',
      'assert w, "no int8 weights"',
      'print(min(int(a.min()) for a in w), max(int(a.max()) for a in w))',
    ].join('\n'),
    path,
  ]);
  const [lo, hi] = out.trim().split(' ').map(Number);
  return [lo!, hi!];
}
