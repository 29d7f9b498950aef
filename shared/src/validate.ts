// Boundary checks for the public API (not re-exported). Messages name the bad value, as
// onnxruntime's js/common does: `RangeError: conf must be in [0, 1], got NaN`.

/** Renders a value for an error message without dumping large buffers. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (ArrayBuffer.isView(value)) {
    const len = (value as unknown as { length?: number }).length ?? value.byteLength;
    return `${value.constructor.name}(${len})`;
  }
  if (typeof value === 'function') return 'function';
  return Object.prototype.toString.call(value);
}

/** Throws unless `value` is a finite number. */
export function assertFinite(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value))
    throw new RangeError(`${name} must be a finite number, got ${describe(value)}`);
}

/** Throws unless `value` is a number in the closed interval [lo, hi]. */
export function assertInRange(name: string, value: unknown, lo: number, hi: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!(value >= lo && value <= hi))
    throw new RangeError(`${name} must be in [${lo}, ${hi}], got ${describe(value)}`);
}

/** Throws unless `value` is an integer >= `min`. */
export function assertInteger(name: string, value: unknown, min: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${describe(value)}`);
  }
}

/** Throws unless `value` is an array or typed array (anything indexable with a length). */
export function assertArrayLike(name: string, value: unknown): asserts value is ArrayLike<number> {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) {
    throw new TypeError(`${name} must be an array or typed array, got ${describe(value)}`);
  }
}

/** Throws unless `value` is a `[x1, y1, x2, y2]` box of finite numbers. */
export function assertBox(name: string, value: unknown): asserts value is ArrayLike<number> {
  assertArrayLike(name, value);
  if (value.length !== 4)
    throw new RangeError(`${name} must have 4 numbers [x1, y1, x2, y2], got length ${value.length}`);
  for (let k = 0; k < 4; k++) assertFinite(`${name}[${k}]`, value[k]);
}
