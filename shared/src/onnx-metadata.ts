/**
 * Reads `metadata_props` from an ONNX file without a protobuf library. onnxruntime's JS API does not
 * expose custom metadata (only input/output metadata), so we scan the top level of `ModelProto`
 * (onnx.proto3: field 14 = repeated StringStringEntryProto { key = 1; value = 2 }) and skip the rest.
 */

// TextDecoder is WHATWG, not ECMAScript, but every runtime we target (Node, browsers, workers) has it;
// declared here so the core's tsconfig keeps no DOM and no Node types.
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new RangeError('ONNX file is truncated (varint)');
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) return [value, pos];
    mul *= 128;
  }
  throw new RangeError('ONNX file has a malformed varint');
}

/** Walks the fields of one protobuf message, calling `onBytes` for length-delimited fields. */
function walk(buf: Uint8Array, onBytes: (field: number, start: number, end: number) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = afterTag;
    if (wire === 0) pos = readVarint(buf, pos)[1];
    else if (wire === 1) pos += 8;
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
