import { assertInteger } from './validate.js';

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
