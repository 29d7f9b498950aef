import { readFileSync } from 'node:fs';

/**
 * Reads `metadata_props` from an ONNX file without a protobuf library: ModelProto field 14 is a
 * repeated StringStringEntryProto {key = 1, value = 2} (onnx/onnx.proto). Everything else is skipped
 * by wire type, so a 4 MB model parses in well under a millisecond.
 * @param source a file path or the model bytes
 * @returns the properties as a plain record
 * @throws {RangeError} when the bytes are not a well-formed protobuf message
 */
export function readOnnxMetadata(source: string | Uint8Array): Record<string, string> {
  const buf = typeof source === 'string' ? new Uint8Array(readFileSync(source)) : source;
  const props: Record<string, string> = {};
  const dec = new TextDecoder();
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new RangeError(`truncated varint at byte ${pos}`);
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new RangeError(`varint too long at byte ${pos}`);
    }
  };
  const readEntry = (end: number): void => {
    let key = '';
    let value = '';
    while (pos < end) {
      const tag = varint();
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (wire !== 2) throw new RangeError(`unexpected wire type ${wire} in metadata entry at byte ${pos}`);
      const len = varint();
      const s = dec.decode(buf.subarray(pos, pos + len));
      pos += len;
      if (field === 1) key = s;
      else if (field === 2) value = s;
    }
    props[key] = value;
  };
  while (pos < buf.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new RangeError(`field ${field} runs past the end (byte ${pos})`);
      if (field === 14) readEntry(pos + len);
      else pos += len;
    } else throw new RangeError(`unsupported wire type ${wire} at byte ${pos}`);
  }
  return props;
}
