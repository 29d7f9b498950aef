import { assertInteger, describe } from './validate.js';

/**
 * The model input layout both apps must produce: `[1, 3, H, W]` float32, planes R, G, B,
 * values `byte / 255` in 0..1, no mean/std normalisation (Ultralytics YOLOv8 export).
 */
export const TENSOR_LAYOUT = {
  order: 'NCHW',
  channels: 'RGB',
  dtype: 'float32',
  scale: 1 / 255,
  range: [0, 1],
} as const;

/** Dimensions `[1, 3, height, width]` of the input tensor for a `width x height` RGB image. */
export function chwDims(width: number, height: number): [1, 3, number, number] {
  assertInteger('width', width, 1);
  assertInteger('height', height, 1);
  return [1, 3, height, width];
}

/**
 * Converts interleaved RGB or RGBA bytes (alpha ignored) into planar CHW float32 data, `value / 255`.
 * @param pixels `width * height * channels` bytes, row-major
 * @param out optional buffer of exactly `3 * width * height` floats to reuse (avoids a 4.9 MB allocation per 640x640 frame)
 * @returns `out` or a new `Float32Array(3 * width * height)`
 * @throws {TypeError|RangeError} when a length or size does not match
 */
export function pixelsToChw(
  pixels: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  channels: 3 | 4,
  out?: Float32Array,
): Float32Array {
  if (!(pixels instanceof Uint8Array || pixels instanceof Uint8ClampedArray)) {
    throw new TypeError(`pixels must be a Uint8Array or Uint8ClampedArray, got ${describe(pixels)}`);
  }
  assertInteger('width', width, 1);
  assertInteger('height', height, 1);
  if (channels !== 3 && channels !== 4)
    throw new RangeError(`channels must be 3 or 4, got ${describe(channels)}`);
  const plane = width * height;
  if (pixels.length !== plane * channels) {
    throw new RangeError(
      `pixels.length must be ${width}*${height}*${channels} = ${plane * channels}, got ${pixels.length}`,
    );
  }
  if (out !== undefined && !(out instanceof Float32Array)) {
    throw new TypeError(`out must be a Float32Array, got ${describe(out)}`);
  }
  if (out !== undefined && out.length !== 3 * plane) {
    throw new RangeError(`out.length must be 3*${width}*${height} = ${3 * plane}, got ${out.length}`);
  }
  const dst = out ?? new Float32Array(3 * plane);
  for (let i = 0, p = 0; i < plane; i++, p += channels) {
    dst[i] = pixels[p]! / 255;
    dst[plane + i] = pixels[p + 1]! / 255;
    dst[2 * plane + i] = pixels[p + 2]! / 255;
  }
  return dst;
}
