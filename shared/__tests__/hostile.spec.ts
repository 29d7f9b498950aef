import { describe, expect, it } from 'vitest';
import {
  analyzeShelf,
  type BoxXyxy,
  computeLetterbox,
  decodeYolo,
  evaluateDetections,
  iouXyxy,
  letterboxTensor,
  letterboxToSource,
  nms,
  postprocess,
} from '../src/index.js';

const lb = computeLetterbox(100, 100, 64, 64);
const out5 = new Float32Array(5 * 3);

describe('hostile inputs are rejected with the bad value named', () => {
  it('letterbox sizes', () => {
    expect(() => computeLetterbox(Number.NaN, 10, 640)).toThrow(
      new RangeError('srcW must be an integer >= 1, got NaN'),
    );
    expect(() => computeLetterbox(10, -5, 640)).toThrow(/srcH must be an integer >= 1, got -5/);
    expect(() => computeLetterbox(10, 10, 0)).toThrow(/inputW .* got 0/);
    expect(() => computeLetterbox(10, 10, 640, 1.5)).toThrow(/inputH .* got 1.5/);
    expect(() => computeLetterbox('10' as unknown as number, 10, 640)).toThrow(
      new TypeError('srcW must be a number, got "10"'),
    );
    expect(() => letterboxToSource([0, 0, Number.POSITIVE_INFINITY, 1] as BoxXyxy, lb)).toThrow(
      /box\[2\] .* got Infinity/,
    );
    expect(() => letterboxToSource([0, 0, 1] as unknown as BoxXyxy, lb)).toThrow(
      /box must have 4 numbers.*length 3/,
    );
  });

  it('pixel buffers of the wrong length or type', () => {
    const image = (data: unknown, width: number, height: number, channels: number) =>
      ({ data, width, height, channels }) as Parameters<typeof letterboxTensor>[0];
    expect(() => letterboxTensor(image(new Uint8Array(11), 2, 2, 3), computeLetterbox(2, 2, 4))).toThrow(
      /image.data.length must be 2\*2\*3 = 12, got 11/,
    );
    expect(() =>
      letterboxTensor(image(new Uint8Array(12), 2, 2, 3), computeLetterbox(2, 2, 4), new Float32Array(5)),
    ).toThrow(/out.length .* got 5/);
    expect(() => letterboxTensor(image(new Uint8Array(8), 2, 2, 2), computeLetterbox(2, 2, 4))).toThrow(
      /channels must be 3 or 4, got 2/,
    );
    expect(() => letterboxTensor(image([1, 2, 3], 1, 1, 3), computeLetterbox(1, 1, 4))).toThrow(TypeError);
    expect(() => letterboxTensor(image(new Uint8Array(100 * 99 * 3), 100, 99, 3), lb)).toThrow(
      /letterbox is for 100x100, got an image of 100x99/,
    );
  });

  it('model outputs with wrong dims or lengths', () => {
    const opts = { confThreshold: 0.25, letterbox: lb };
    expect(() => decodeYolo(out5, [1, 5, 4], opts)).toThrow(/output.length must be 5\*4 = 20 .* got 15/);
    expect(() => decodeYolo(out5, [2, 5, 3], opts)).toThrow(/dims\[0\] \(batch\) must be 1, got 2/);
    expect(() => decodeYolo(out5, [1, 4, 3], opts)).toThrow(/nc >= 1, got \[1, 4, 3\]/);
    expect(() => decodeYolo(out5, [15], opts)).toThrow(/got \[15\]/);
    expect(() => decodeYolo([1, 2] as unknown as Float32Array, [1, 5, 0], opts)).toThrow(TypeError);
    expect(() => decodeYolo(out5, [1, 5, 3], { ...opts, confThreshold: -0.1 })).toThrow(
      /confThreshold must be in \[0, 1\], got -0.1/,
    );
  });

  it('postprocess options', () => {
    expect(() => postprocess(out5, [1, 5, 3], { letterbox: lb, conf: Number.NaN })).toThrow(
      new RangeError('conf must be in [0, 1], got NaN'),
    );
    expect(() => postprocess(out5, [1, 5, 3], { letterbox: lb, iou: 2 })).toThrow(
      /iou must be in \[0, 1\], got 2/,
    );
    expect(() => postprocess(out5, [1, 5, 3], { letterbox: lb, maxDetections: -1 })).toThrow(
      /maxDetections .* got -1/,
    );
    expect(postprocess(new Float32Array(0), [1, 5, 0], { letterbox: lb })).toEqual([]);
  });

  it('nms arguments', () => {
    const boxes = new Float32Array([0, 0, 1, 1]);
    const ok = { iouThreshold: 0.5, maxDetections: 10 };
    expect(() => nms(boxes, new Float32Array([Number.NaN]), new Int32Array(1), 1, ok)).toThrow(
      /scores\[0\] .* got NaN/,
    );
    expect(() => nms(boxes, new Float32Array(1), new Int32Array(1), 2, ok)).toThrow(
      /boxes.length must be >= 4\*count = 8, got 4/,
    );
    expect(() =>
      nms(boxes, new Float32Array(1), new Int32Array(1), 1, { ...ok, iouThreshold: Number.NaN }),
    ).toThrow(/iouThreshold must be in \[0, 1\], got NaN/);
    expect(() =>
      nms(boxes, new Float32Array(1), new Int32Array(1), 1, { ...ok, maxDetections: 2.5 }),
    ).toThrow(/got 2.5/);
    expect(() => iouXyxy([0, 0, 1, Number.NaN], [0, 0, 1, 1])).toThrow(
      /a\[3\] must be a finite number, got NaN/,
    );
  });

  it('shelf analysis and evaluation inputs', () => {
    expect(() => analyzeShelf([{ box: [0, 0, Number.NaN, 1] }])).toThrow(
      /detections\[0\].box\[2\] .* got NaN/,
    );
    expect(() => analyzeShelf([{ box: [5, 0, 1, 1] }])).toThrow(/x2 >= x1 .* got \[5, 0, 1, 1\]/);
    expect(() => analyzeShelf([], { gapFactor: -1 })).toThrow(/gapFactor .* got -1/);
    expect(() => analyzeShelf(null as unknown as [])).toThrow(/detections must be an array, got null/);
    expect(() => evaluateDetections([[]], [])).toThrow(/same images, got 1 and 0/);
    expect(() => evaluateDetections([[{ box: [0, 0, 1, 1], score: Number.NaN }]], [[]])).toThrow(
      /predictions\[0\]\[0\].score must be a finite number, got NaN/,
    );
    expect(() => evaluateDetections([], [], { scoreThreshold: 5 })).toThrow(
      /scoreThreshold must be in \[0, 1\], got 5/,
    );
  });
});
