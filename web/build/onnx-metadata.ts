/**
 * Reads `metadata_props` from an ONNX ModelProto without a protobuf library: the build needs only
 * the model's names, input size and version, and onnxruntime-web does not expose custom metadata.
 * ModelProto field 14 = repeated StringStringEntryProto {1: key, 2: value} (onnx/onnx.proto3).
 */

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let p = pos;
  for (;;) {
    if (p >= buf.length) throw new RangeError(`truncated varint at byte ${pos}`);
    const b = buf[p++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, p];
    shift += 7;
  }
}

/** Calls `visit(field, start, end)` for each length-delimited field; skips the other wire types. */
function forEachField(
  buf: Uint8Array,
  start: number,
  end: number,
  visit: (field: number, s: number, e: number) => void,
) {
  let p = start;
  while (p < end) {
    const [tag, afterTag] = readVarint(buf, p);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    p = afterTag;
    if (wire === 0) p = readVarint(buf, p)[1];
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const [len, afterLen] = readVarint(buf, p);
      visit(field, afterLen, afterLen + len);
      p = afterLen + len;
    } else throw new RangeError(`unsupported protobuf wire type ${wire} at byte ${p}`);
  }
}

/** Returns the model's `metadata_props` as a plain record. */
export function readOnnxMetadataProps(model: Uint8Array): Record<string, string> {
  const props: Record<string, string> = {};
  const text = new TextDecoder();
  forEachField(model, 0, model.length, (field, s, e) => {
    if (field !== 14) return;
    let key = '';
    let value = '';
    forEachField(model, s, e, (f, a, b) => {
      if (f === 1) key = text.decode(model.subarray(a, b));
      else if (f === 2) value = text.decode(model.subarray(a, b));
    });
    props[key] = value;
  });
  return props;
}
