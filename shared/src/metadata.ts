import { DEFAULT_INPUT_SIZE, DEFAULT_STRIDE } from './defaults.js';
import { describe } from './validate.js';

/** Model facts read from ONNX `metadata_props` (the keys Ultralytics' exporter writes, plus ours). */
export interface ModelMetadata {
  /** `name`, else the first line of `description`, else `"model"`. */
  name: string;
  /** `version`, else `"0.0.0"`. (For stock Ultralytics exports this is the Ultralytics version.) */
  version: string;
  /** Class names by class index from `names`, else `[]` (postprocess then labels class i `class{i}`). */
  names: string[];
  /** Input size `[height, width]` from `imgsz`, else `[640, 640]`. */
  imgsz: [number, number];
  /** Model stride from `stride`, else 32. */
  stride: number;
  description?: string;
  author?: string;
  date?: string;
  task?: string;
  /** The keys that were missing or empty and got the defaults above. */
  defaulted: string[];
  /** All properties as given. */
  raw: Record<string, string>;
}

/**
 * Reads a Python literal or JSON string/int: the subset Ultralytics writes with `str(dict)`,
 * `{0: 'product', 1: "it's"}` or `['a', 'b']`, and JSON objects/arrays.
 */
class LiteralReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  private fail(what: string): never {
    throw new RangeError(
      `names is not a dict or list of names (${what} at offset ${this.pos}): ${describe(this.text)}`,
    );
  }
  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  peek(): string {
    this.skipSpace();
    return this.text[this.pos] ?? '';
  }
  expect(ch: string): void {
    if (this.peek() !== ch) this.fail(`expected '${ch}'`);
    this.pos++;
  }
  atEnd(): boolean {
    return this.peek() === '';
  }
  readKey(): number {
    const ch = this.peek();
    // JSON keys are strings ("0"); Python dict keys are ints (0).
    const raw = ch === '"' || ch === "'" ? this.readString() : this.readNumberToken();
    const key = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(key))
      this.fail(`class index must be an integer >= 0, got ${describe(raw)}`);
    return key;
  }
  private readNumberToken(): string {
    const m = /^-?\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a class index');
    this.pos += m[0].length;
    return m[0];
  }
  readString(): string {
    const quote = this.peek();
    if (quote !== '"' && quote !== "'") this.fail('expected a quoted string');
    this.pos++;
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++]!;
      if (ch === quote) return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos++] ?? '';
      const simple: Record<string, string> = {
        n: '\n',
        t: '\t',
        r: '\r',
        '\\': '\\',
        "'": "'",
        '"': '"',
        '/': '/',
        b: '\b',
        f: '\f',
      };
      if (esc in simple) out += simple[esc];
      else if (esc === 'x' || esc === 'u' || esc === 'U') {
        const len = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('bad escape');
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        this.pos += len;
      } else this.fail('bad escape');
    }
    return this.fail('unterminated string');
  }
}

/**
 * Parses class names from an ONNX `names` property: a Python dict string as Ultralytics writes it
 * (`{0: 'product'}`), a Python list, a JSON object (`{"0": "product"}`) or a JSON array.
 * Indices missing from a dict are filled with `class{i}`.
 * @returns names by class index
 * @throws {TypeError|RangeError} naming the value when it cannot be parsed
 */
export function parseNames(value: string): string[] {
  if (typeof value !== 'string') throw new TypeError(`names must be a string, got ${describe(value)}`);
  const r = new LiteralReader(value);
  const names: string[] = [];
  const open = r.peek();
  if (open === '[') {
    r.expect('[');
    while (r.peek() !== ']') {
      names.push(r.readString());
      if (r.peek() === ',') r.expect(',');
      else break;
    }
    r.expect(']');
  } else if (open === '{') {
    r.expect('{');
    const byIndex = new Map<number, string>();
    while (r.peek() !== '}') {
      const key = r.readKey();
      r.expect(':');
      byIndex.set(key, r.readString());
      if (r.peek() === ',') r.expect(',');
      else break;
    }
    r.expect('}');
    const size = byIndex.size === 0 ? 0 : Math.max(...byIndex.keys()) + 1;
    if (size > 100_000)
      throw new RangeError(`names has a class index too large (${size - 1}): ${describe(value)}`);
    for (let i = 0; i < size; i++) names.push(byIndex.get(i) ?? `class${i}`);
  } else {
    throw new RangeError(`names must be a dict or list of names, got ${describe(value)}`);
  }
  if (!r.atEnd()) throw new RangeError(`names has trailing text: ${describe(value)}`);
  return names;
}

/**
 * Parses an input size: `"[640, 640]"` or `"(480, 640)"` (`[height, width]`, Ultralytics order),
 * `"[640]"` or `"640"` (square).
 * @throws {RangeError} naming the value when it is not one or two positive integers
 */
export function parseImgsz(value: string): [number, number] {
  if (typeof value !== 'string') throw new TypeError(`imgsz must be a string, got ${describe(value)}`);
  const m = /^\s*[[(]?\s*(\d+)\s*(?:,\s*(\d+)\s*)?,?\s*[\])]?\s*$/.exec(value);
  const h = m ? Number(m[1]) : Number.NaN;
  const w = m?.[2] !== undefined ? Number(m[2]) : h;
  if (!(h >= 1 && w >= 1 && Number.isSafeInteger(h) && Number.isSafeInteger(w))) {
    throw new RangeError(
      `imgsz must be "[height, width]" or "size" of positive integers, got ${describe(value)}`,
    );
  }
  return [h, w];
}

/**
 * Reads model facts from ONNX `metadata_props` (a string-to-string map). Missing or empty keys get
 * the defaults documented on {@link ModelMetadata} and are listed in `defaulted`; present but
 * malformed values throw, because a wrong input size or class list would silently give wrong boxes.
 * @throws {TypeError|RangeError} naming the malformed property
 */
export function parseModelMetadata(props: Record<string, string>): ModelMetadata {
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw new TypeError(`metadata props must be an object of strings, got ${describe(props)}`);
  }
  const defaulted: string[] = [];
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (typeof v !== 'string')
      throw new TypeError(`metadata property ${k} must be a string, got ${describe(v)}`);
    raw[k] = v;
  }
  const get = (key: string): string | undefined => {
    const v = raw[key]?.trim();
    if (v === undefined || v === '') {
      defaulted.push(key);
      return undefined;
    }
    return v;
  };
  const nameProp = get('name');
  const description = raw.description?.trim() || undefined;
  const versionProp = get('version');
  const namesProp = get('names');
  const imgszProp = get('imgsz');
  const strideProp = get('stride');
  let stride = DEFAULT_STRIDE;
  if (strideProp !== undefined) {
    stride = Number(strideProp);
    if (!(Number.isInteger(stride) && stride >= 1)) {
      throw new RangeError(`stride must be a positive integer, got ${describe(strideProp)}`);
    }
  }
  const meta: ModelMetadata = {
    name: nameProp ?? description?.split('\n')[0] ?? 'model',
    version: versionProp ?? '0.0.0',
    names: namesProp === undefined ? [] : parseNames(namesProp),
    imgsz: imgszProp === undefined ? [DEFAULT_INPUT_SIZE, DEFAULT_INPUT_SIZE] : parseImgsz(imgszProp),
    stride,
    defaulted,
    raw,
  };
  if (description !== undefined) meta.description = description;
  for (const key of ['author', 'date', 'task'] as const) {
    const v = raw[key]?.trim();
    if (v) meta[key] = v;
  }
  return meta;
}
