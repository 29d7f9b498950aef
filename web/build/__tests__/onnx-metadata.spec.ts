import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseModelManifest, readOnnxMetadataProps } from '@shelfwatch/shared';
import { describe, expect, it } from 'vitest';

/** Protobuf length-delimited field. */
function ld(field: number, bytes: Uint8Array): Uint8Array {
  const out = [field * 8 + 2];
  let n = bytes.length;
  while (n > 127) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return new Uint8Array([...out, ...bytes]);
}
const str = (s: string) => new TextEncoder().encode(s);
const entry = (k: string, v: string) => ld(14, new Uint8Array([...ld(1, str(k)), ...ld(2, str(v))]));

describe('readOnnxMetadataProps', () => {
  it('reads metadata_props and skips other fields', () => {
    const model = new Uint8Array([
      ...[8, 7], // ir_version = 7 (varint)
      ...ld(7, new Uint8Array(300).fill(1)), // a "graph"
      ...entry('names', "{0: 'product'}"),
      ...entry('imgsz', '[640, 640]'),
    ]);
    expect(readOnnxMetadataProps(model)).toEqual({ names: "{0: 'product'}", imgsz: '[640, 640]' });
  });

  // The shipped model is part of the repository: a missing manifest or model file fails this test.
  it('reads the shipped model named by models/manifest.json', () => {
    const manifestPath = join(__dirname, '..', '..', '..', 'models', 'manifest.json');
    const manifest = parseModelManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
    const props = readOnnxMetadataProps(readFileSync(join(manifestPath, '..', manifest.int8)));
    expect(props.names).toMatch(/product/);
    expect(props.version).toBe(manifest.version);
  });
});
