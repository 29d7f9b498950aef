import { LETTERBOX_PAD_VALUE } from './defaults.js';
import { LETTERBOX_WASM_BASE64 } from './kernel/letterbox-wasm.js';
import type { Letterbox } from './letterbox.js';
import { type AxisTaps, axisTaps } from './resample-taps.js';
import { assertInteger, describe } from './validate.js';

// WebAssembly and atob are not ECMAScript, but every runtime we target (Node, browsers, workers)
// has them; declared here so that the core's tsconfig keeps no DOM and no Node types.
declare const atob: (data: string) => string;
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: object);
    readonly exports: Record<string, unknown>;
  }
  interface Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}

/**
 * A decoded, upright (EXIF-applied) photo as the apps hand it to the core: interleaved 8-bit RGB or
 * RGBA, row-major. The server decodes with sharp, the PWA with `createImageBitmap` + a canvas.
 */
export interface DecodedImage {
  /** `width * height * channels` bytes. */
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
  /**
   * RGBA only: the alpha channel is known to be 255 everywhere (a canvas read of a JPEG), so the
   * compositing over the letterbox grey can be skipped (it would change nothing). @default false
   */
  opaque?: boolean;
}

interface KernelExports {
  memory: WebAssembly.Memory;
  vertical(src: number, stride: number, n: number, wv: number, mid: number, len: number): void;
  verticalOver(
    src: number,
    stride: number,
    n: number,
    wv: number,
    mid: number,
    len: number,
    pad: number,
  ): void;
  horizontal(
    mid: number,
    c2: number,
    nw: number,
    xs: number,
    xn: number,
    xw: number,
    xwStride: number,
    out: number,
    plane4: number,
  ): void;
}

const PAGE = 65536;
/** Source rows are streamed through the kernel's memory in bands of about this many bytes. */
const BAND_BYTES = 1 << 20;
/** Slack after each buffer: the SIMD loops read and write up to 16 bytes past a row. */
const SLACK = 64;
const align = (n: number) => (n + 63) & ~63;

/** Where one (source size, channels, letterbox) setup lives in the kernel's memory. */
interface Plan {
  key: string;
  tx: AxisTaps;
  ty: AxisTaps;
  rowBytes: number;
  bandRows: number;
  xs: number;
  xn: number;
  xw: number;
  wy: number;
  mid: number;
  out: number;
  band: number;
  end: number;
}

/**
 * The letterbox resampler fused with the tensor layout, as WebAssembly SIMD (`kernel/letterbox.wat`):
 * one instance per thread, its memory reused across calls. Integer arithmetic (weights in 1/256,
 * 16-bit intermediates), so phone and server produce the same bytes from the same pixels.
 */
class LetterboxKernel {
  private readonly k: KernelExports;
  private plan: Plan | undefined;

  constructor() {
    const bin = atob(LETTERBOX_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    this.k = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as KernelExports;
  }

  private layout(image: DecodedImage, lb: Letterbox): Plan {
    const key = `${image.width}x${image.height}x${image.channels}:${lb.newWidth}x${lb.newHeight}+${lb.padLeft}+${lb.padTop}/${lb.inputWidth}x${lb.inputHeight}`;
    if (this.plan?.key === key) return this.plan;
    const tx = axisTaps(image.width, lb.newWidth);
    const ty = axisTaps(image.height, lb.newHeight);
    const rowBytes = image.width * image.channels;
    const bandRows = Math.min(image.height, Math.max(ty.maxTaps + 1, Math.floor(BAND_BYTES / rowBytes)));
    let at = 1024;
    const take = (bytes: number) => {
      const p = at;
      at += align(bytes + SLACK);
      return p;
    };
    const p: Plan = {
      key,
      tx,
      ty,
      rowBytes,
      bandRows,
      xs: take(4 * lb.newWidth),
      xn: take(4 * lb.newWidth),
      xw: take(4 * tx.weights.length),
      wy: take(16 * ty.weights.length),
      mid: take(2 * rowBytes + 32),
      out: take(4 * 3 * lb.inputWidth * lb.inputHeight),
      band: take(bandRows * rowBytes),
      end: at,
    };
    const memory = this.k.memory;
    if (p.end > memory.buffer.byteLength) memory.grow(Math.ceil((p.end - memory.buffer.byteLength) / PAGE));
    const m32 = new Int32Array(memory.buffer);
    m32.set(tx.start, p.xs >> 2);
    m32.set(tx.count, p.xn >> 2);
    m32.set(tx.weights, p.xw >> 2);
    // Vertical weights pre-splatted to i16x8, one 16-byte vector per tap.
    const m16 = new Uint16Array(memory.buffer);
    for (let i = 0; i < ty.weights.length; i++)
      m16.fill(ty.weights[i]!, (p.wy >> 1) + 8 * i, (p.wy >> 1) + 8 * i + 8);
    // The padding never changes for this layout: fill the whole input once, the kernel overwrites the image.
    new Float32Array(memory.buffer, p.out, 3 * lb.inputWidth * lb.inputHeight).fill(
      LETTERBOX_PAD_VALUE / 255,
    );
    this.plan = p;
    return p;
  }

  /**
   * Resamples `image` into the letterbox and lays it out as the model input, in the kernel's memory.
   * @returns a view of the `[1, 3, inputHeight, inputWidth]` float32 data, valid until the next call
   */
  run(image: DecodedImage, lb: Letterbox): Float32Array {
    const p = this.layout(image, lb);
    const { k } = this;
    const { ty, rowBytes, bandRows } = p;
    const src =
      image.data instanceof Uint8Array
        ? image.data
        : new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
    const mem = new Uint8Array(k.memory.buffer);
    const over = image.channels === 4 && image.opaque !== true;
    const plane4 = 4 * lb.inputWidth * lb.inputHeight;
    const c2 = 2 * image.channels;
    const xwStride = 4 * p.tx.maxTaps;
    let bandFirst = 0;
    let bandEnd = 0;
    for (let oy = 0; oy < lb.newHeight; oy++) {
      const s0 = ty.start[oy]!;
      const n = ty.count[oy]!;
      if (s0 < bandFirst || s0 + n > bandEnd) {
        // Stream the next rows through the kernel's memory: no copy of the whole photo is ever made.
        bandFirst = s0;
        bandEnd = Math.min(image.height, s0 + bandRows);
        mem.set(src.subarray(bandFirst * rowBytes, bandEnd * rowBytes), p.band);
      }
      const rows = p.band + (s0 - bandFirst) * rowBytes;
      const wv = p.wy + 16 * oy * ty.maxTaps;
      if (over) k.verticalOver(rows, rowBytes, n, wv, p.mid, rowBytes, LETTERBOX_PAD_VALUE);
      else k.vertical(rows, rowBytes, n, wv, p.mid, rowBytes);
      const out = p.out + 4 * ((oy + lb.padTop) * lb.inputWidth + lb.padLeft);
      k.horizontal(p.mid, c2, lb.newWidth, p.xs, p.xn, p.xw, xwStride, out, plane4);
    }
    return new Float32Array(k.memory.buffer, p.out, 3 * lb.inputWidth * lb.inputHeight);
  }
}

let kernel: LetterboxKernel | undefined;

/** Checks a decoded image's shape and that `lb` was computed for it. */
export function assertDecodedImage(image: DecodedImage, lb?: Letterbox): void {
  if (image === null || typeof image !== 'object')
    throw new TypeError(`image must be a decoded image, got ${describe(image)}`);
  const { data, width, height, channels } = image;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new TypeError(`image.data must be a Uint8Array or Uint8ClampedArray, got ${describe(data)}`);
  }
  assertInteger('image.width', width, 1);
  assertInteger('image.height', height, 1);
  if (channels !== 3 && channels !== 4)
    throw new RangeError(`image.channels must be 3 or 4, got ${describe(channels)}`);
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `image.data.length must be ${width}*${height}*${channels} = ${width * height * channels}, got ${data.length}`,
    );
  }
  if (lb !== undefined && (lb.srcWidth !== width || lb.srcHeight !== height)) {
    throw new RangeError(
      `letterbox is for ${lb.srcWidth}x${lb.srcHeight}, got an image of ${width}x${height}`,
    );
  }
}

/**
 * Resamples a decoded photo into the letterbox kernel's memory and returns a view of the model input
 * (`[1, 3, inputHeight, inputWidth]` float32, planes R, G, B, `byte / 255`, grey 114 padding).
 * The view is only valid until the next call in this thread: copy it (`letterboxTensor` does).
 * @internal the pipeline times this and the copy as two stages
 */
export function letterboxInPlace(image: DecodedImage, lb: Letterbox): Float32Array {
  assertDecodedImage(image, lb);
  kernel ??= new LetterboxKernel();
  return kernel.run(image, lb);
}

/**
 * The model input for a decoded photo: resampled into the letterbox (area average when shrinking,
 * bilinear when enlarging, integer weights in 1/256), RGBA composited over grey 114 unless `opaque`,
 * padded with grey 114, laid out as `[1, 3, inputHeight, inputWidth]` float32 `byte / 255`.
 * Byte-identical for the same pixels on every engine (WebAssembly SIMD, integer maths).
 * @param out optional buffer of exactly `3 * inputWidth * inputHeight` floats to fill
 * @throws {TypeError|RangeError} when the image, the letterbox or `out` do not fit together
 */
export function letterboxTensor(image: DecodedImage, lb: Letterbox, out?: Float32Array): Float32Array {
  const size = 3 * lb.inputWidth * lb.inputHeight;
  if (out !== undefined && !(out instanceof Float32Array))
    throw new TypeError(`out must be a Float32Array, got ${describe(out)}`);
  if (out !== undefined && out.length !== size)
    throw new RangeError(
      `out.length must be 3*${lb.inputWidth}*${lb.inputHeight} = ${size}, got ${out.length}`,
    );
  const view = letterboxInPlace(image, lb);
  const dst = out ?? new Float32Array(size);
  dst.set(view);
  return dst;
}
