/**
 * Reads `metadata_props` from an ONNX file without a protobuf library. onnxruntime's JS API does not
 * expose custom metadata (only input/output metadata), so we scan the top level of `ModelProto`
 * (onnx.proto3: field 14 = repeated StringStringEntryProto { key = 1; value = 2 }) and skip the rest.
 */

// TextDecoder is WHATWG, not ECMAScript, but every runtime we target (Node, browsers, workers) has it;
// declared here so the core's tsconfig keeps no DOM and no Node types.
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };

/**
 * A varint at `pos`: its value (exact below 2^53), the position after it, and its low 32 bits read
 * as a signed int32 (an int32 field holds a negative number sign-extended to ten bytes).
 */
function readVarint(buf: Uint8Array, pos: number): [value: number, next: number, int32: number] {
  let value = 0;
  // The first five bytes (35 bits) summed apart: exact, where the whole value may not be.
  let low = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new RangeError('ONNX file is truncated (varint)');
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * mul;
    if (i < 5) low += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) {
      const u = low % 2 ** 32;
      return [value, pos, u >= 2 ** 31 ? u - 2 ** 32 : u];
    }
    mul *= 128;
  }
  throw new RangeError('ONNX file has a malformed varint');
}

/**
 * Walks the fields of one protobuf message, calling `onBytes` for length-delimited fields and
 * `onVarint` for varint ones.
 */
function walk(
  buf: Uint8Array,
  onBytes: (field: number, start: number, end: number) => void,
  onVarint?: (field: number, value: number) => void,
): void {
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = afterTag;
    if (wire === 0) {
      const [value, next] = readVarint(buf, pos);
      onVarint?.(field, value);
      pos = next;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, start] = readVarint(buf, pos);
      const end = start + len;
      if (end > buf.length) throw new RangeError('ONNX file is truncated (field length)');
      onBytes(field, start, end);
      pos = end;
    } else throw new RangeError(`ONNX file has an unsupported protobuf wire type ${wire}`);
  }
}

/**
 * Returns the model's `metadata_props` as a string map.
 * @param model the bytes of an `.onnx` file
 * @throws {RangeError} when the bytes are not a protobuf message
 */
export function readOnnxMetadataProps(model: Uint8Array): Record<string, string> {
  const props: Record<string, string> = {};
  const text = new TextDecoder();
  walk(model, (field, start, end) => {
    if (field !== 14) return;
    let key = '';
    let value = '';
    walk(model.subarray(start, end), (f, s, e) => {
      const str = text.decode(model.subarray(start + s, start + e));
      if (f === 1) key = str;
      else if (f === 2) value = str;
    });
    props[key] = value;
  });
  return props;
}

/** `TensorProto.DataType.INT8`. */
const INT8 = 3;

/**
 * The smallest and largest value of the model's int8 weights: initializers of type INT8 with two or
 * more dimensions (`ModelProto.graph` = 7, `GraphProto.initializer` = 5; `TensorProto` dims = 1,
 * data_type = 2, int32_data = 5 packed as protobuf writers pack it, raw_data = 9), or null when it
 * has none (an FP32 model). On x86 CPUs without VNNI onnxruntime's u8 x s8 convolutions saturate
 * with weights beyond +-64. One pass over the file.
 * @param model the bytes of an `.onnx` file
 * @throws {RangeError} when the bytes are not a protobuf message
 */
export function readOnnxInt8WeightRange(model: Uint8Array): [min: number, max: number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  const note = (v: number) => {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  };
  walk(model, (field, start, end) => {
    if (field !== 7) return;
    const graph = model.subarray(start, end);
    walk(graph, (f, s, e) => {
      if (f !== 5) return;
      const tensor = graph.subarray(s, e);
      let dims = 0;
      let type = 0;
      let raw: Uint8Array | null = null;
      const ints: number[] = [];
      walk(
        tensor,
        (tf, ts, te) => {
          if (tf === 9) raw = tensor.subarray(ts, te);
          else if (tf === 1) {
            // dims, packed
            for (let p = ts; p < te; ) {
              p = readVarint(tensor, p)[1];
              dims++;
            }
          } else if (tf === 5) {
            for (let p = ts; p < te; ) {
              const [, next, v] = readVarint(tensor, p);
              ints.push(v);
              p = next;
            }
          }
        },
        (tf, v) => {
          if (tf === 1) dims++;
          else if (tf === 2) type = v;
        },
      );
      if (type !== INT8 || dims < 2) return;
      const bytes = raw as Uint8Array | null;
      if (bytes !== null) {
        const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
        let a = lo;
        let z = hi;
        for (let k = 0; k < q.length; k++) {
          const v = q[k]!;
          if (v < a) a = v;
          if (v > z) z = v;
        }
        lo = a;
        hi = z;
      }
      for (const v of ints) note(v);
    });
  });
  return lo <= hi ? [lo, hi] : null;
}
