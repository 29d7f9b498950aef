import { describe, expect, it } from 'vitest';
import {
  apiErrorBody,
  ERROR_CATALOGUE,
  isApiErrorBody,
  isErrorCode,
  parseImgsz,
  parseModelMetadata,
  parseNames,
} from '../src/index.js';

describe('parseNames', () => {
  it('reads Ultralytics Python dict strings', () => {
    expect(parseNames("{0: 'product'}")).toEqual(['product']);
    expect(parseNames(`{0: 'person', 1: "it's", 2: 'a\\'b'}`)).toEqual(['person', "it's", "a'b"]);
    expect(parseNames("{1: 'b'}")).toEqual(['class0', 'b']); // gaps filled
  });

  it('reads Python lists and JSON', () => {
    expect(parseNames("['a', 'b']")).toEqual(['a', 'b']);
    expect(parseNames('{"0": "product", "1": "price tag"}')).toEqual(['product', 'price tag']);
    expect(parseNames('["x\\u00e9"]')).toEqual(['xé']);
    expect(parseNames('{}')).toEqual([]);
  });

  it('rejects malformed values, naming them', () => {
    expect(() => parseNames("{0: 'a'")).toThrow(RangeError);
    expect(() => parseNames('product')).toThrow(/names must be a dict or list of names, got "product"/);
    expect(() => parseNames("{-1: 'a'}")).toThrow(RangeError);
    expect(() => parseNames("{0: 'a'} trailing")).toThrow(/trailing/);
    expect(() => parseNames(42 as unknown as string)).toThrow(/names must be a string, got 42/);
  });
});

describe('parseImgsz', () => {
  it('reads lists, tuples and single numbers as [height, width]', () => {
    expect(parseImgsz('[640, 640]')).toEqual([640, 640]);
    expect(parseImgsz('(480, 640)')).toEqual([480, 640]);
    expect(parseImgsz('640')).toEqual([640, 640]);
    expect(parseImgsz('[320]')).toEqual([320, 320]);
    expect(() => parseImgsz('[0, 640]')).toThrow(/imgsz .* got "\[0, 640\]"/);
    expect(() => parseImgsz('big')).toThrow(RangeError);
  });
});

describe('parseModelMetadata', () => {
  it('reads an Ultralytics-style export', () => {
    const m = parseModelMetadata({
      description: 'ShelfWatch product detector',
      author: 'ShelfWatch',
      date: '2025-01-01T00:00:00',
      version: '1.2.0',
      task: 'detect',
      stride: '32',
      batch: '1',
      imgsz: '[640, 640]',
      names: "{0: 'product'}",
    });
    expect(m).toMatchObject({
      name: 'ShelfWatch product detector',
      version: '1.2.0',
      names: ['product'],
      imgsz: [640, 640],
      stride: 32,
      author: 'ShelfWatch',
      task: 'detect',
      defaulted: ['name'],
    });
    expect(m.raw.batch).toBe('1');
  });

  it('fills documented defaults and lists them', () => {
    const m = parseModelMetadata({});
    expect(m).toMatchObject({ name: 'model', version: '0.0.0', names: [], imgsz: [640, 640], stride: 32 });
    expect(m.defaulted.sort()).toEqual(['imgsz', 'name', 'names', 'stride', 'version']);
  });

  it('rejects malformed present values', () => {
    expect(() => parseModelMetadata({ stride: '-8' })).toThrow(/stride must be a positive integer, got "-8"/);
    expect(() => parseModelMetadata({ names: 7 } as unknown as Record<string, string>)).toThrow(TypeError);
    expect(() => parseModelMetadata(null as unknown as Record<string, string>)).toThrow(/got null/);
  });
});

describe('error catalogue', () => {
  it('maps codes to statuses, client errors to 4xx', () => {
    expect(ERROR_CATALOGUE.UNSUPPORTED_MEDIA_TYPE.status).toBe(415);
    expect(ERROR_CATALOGUE.IMAGE_TOO_MANY_PIXELS.status).toBe(413);
    expect(ERROR_CATALOGUE.QUEUE_FULL.status).toBe(503);
    expect(apiErrorBody('NOT_FOUND')).toEqual({ error: { code: 'NOT_FOUND', message: 'Not found.' } });
    expect(apiErrorBody('INVALID_REQUEST', 'conf must be in [0, 1]').error.message).toBe(
      'conf must be in [0, 1]',
    );
    expect(isErrorCode('RATE_LIMITED')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
    expect(isApiErrorBody({ error: { code: 'INTERNAL', message: 'x' } })).toBe(true);
    expect(isApiErrorBody({ error: { code: 'NOPE', message: 'x' } })).toBe(false);
  });
});
