// Image fuzzing for POST /predict, shared by the CI test (server/test/fuzz.spec.ts, ~2,000 cases)
// and the long run (server/bench/fuzz.mjs, 10,000+). Seeds are generated here with sharp (JPEG,
// PNG, WebP in several encodings); mutations are bit flips, truncations, header and chunk edits.
// Everything is driven by one seeded PRNG, so a failing case can be replayed from its seed.
import { seededRandom as rng } from '@shelfwatch/shared';
import sharp from 'sharp';

/** @param {() => number} r @param {number} n integer in [0, n) */
const pick = (r, n) => Math.floor(r() * n);

/** A small synthetic shelf (boards and packages) as SVG, so seeds have real structure to decode. */
function shelfSvg(width, height) {
  const colours = ['#c0392b', '#2980b9', '#27ae60', '#f39c12', '#8e44ad', '#16a085'];
  let s = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#d8d4cc"/>`;
  for (let row = 0; row < 3; row++) {
    const board = Math.round(((row + 1) * height) / 3) - 6;
    s += `<rect x="0" y="${board}" width="${width}" height="6" fill="#666"/>`;
    for (let x = 6, k = row; x < width - 30; x += 34, k++) {
      const h = 30 + ((k * 13) % 20);
      s += `<rect x="${x}" y="${board - h}" width="28" height="${h}" fill="${colours[k % colours.length]}" stroke="#222"/>`;
    }
  }
  return `${s}</svg>`;
}

/**
 * Seed images: every encoding the mutations start from.
 * @returns {Promise<{ name: string, format: 'jpeg' | 'png' | 'webp', type: string, bytes: Buffer }[]>}
 */
export async function makeSeeds() {
  const base = await sharp(Buffer.from(shelfSvg(256, 192)))
    .removeAlpha()
    .png()
    .toBuffer();
  const img = () => sharp(base);
  const seeds = [
    ['jpeg-baseline', 'jpeg', img().jpeg({ quality: 80 })],
    [
      'jpeg-progressive-exif6',
      'jpeg',
      img().rotate(-90).jpeg({ quality: 80, progressive: true }).withMetadata({ orientation: 6 }),
    ],
    ['jpeg-cmyk-icc', 'jpeg', img().toColourspace('cmyk').jpeg({ quality: 70 }).withIccProfile('cmyk')],
    ['png-rgb', 'png', img().png()],
    ['png-rgba-interlaced', 'png', img().ensureAlpha(0.6).png({ progressive: true })],
    ['png-palette', 'png', img().png({ palette: true, colours: 16 })],
    ['png-16bit-exif', 'png', img().toColourspace('rgb16').png().withMetadata({ orientation: 3 })],
    ['webp-lossy', 'webp', img().webp({ quality: 70 })],
    ['webp-lossless-alpha', 'webp', img().ensureAlpha(0.5).webp({ lossless: true })],
    ['webp-exif', 'webp', img().webp({ quality: 60 }).withMetadata({ orientation: 8 })],
  ];
  return Promise.all(
    seeds.map(async ([name, format, pipeline]) => ({
      name,
      format,
      type: `image/${format}`,
      bytes: await pipeline.toBuffer(),
    })),
  );
}

/** Byte ranges of the container's structural units: PNG chunks, JPEG segments, RIFF chunks. */
function units(format, b) {
  const out = [];
  if (format === 'png') {
    for (let p = 8; p + 12 <= b.length; ) {
      const len = b.readUInt32BE(p);
      if (p + 12 + len > b.length) break;
      out.push({ start: p, end: p + 12 + len, lengthAt: p, lengthBytes: 4, headerEnd: p + 8 });
      p += 12 + len;
    }
  } else if (format === 'jpeg') {
    for (let p = 2; p + 4 <= b.length && b[p] === 0xff; ) {
      const marker = b[p + 1];
      if (marker === 0xda || marker === 0xd9) {
        out.push({ start: p, end: b.length, lengthAt: p + 2, lengthBytes: 2, headerEnd: p + 4 });
        break;
      }
      const len = b.readUInt16BE(p + 2);
      out.push({ start: p, end: p + 2 + len, lengthAt: p + 2, lengthBytes: 2, headerEnd: p + 4 });
      p += 2 + len;
    }
  } else {
    for (let p = 12; p + 8 <= b.length; ) {
      const len = b.readUInt32LE(p + 4);
      const end = Math.min(b.length, p + 8 + len + (len & 1));
      out.push({ start: p, end, lengthAt: p + 4, lengthBytes: 4, headerEnd: p + 8, little: true });
      p = end;
    }
  }
  return out;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000, 100_000, 1_000_000];

function flipBits(b, r, from, to, count) {
  for (let i = 0; i < count && to > from; i++) b[from + pick(r, to - from)] ^= 1 << pick(r, 8);
}

function writeLength(b, u, value) {
  if (u.lengthBytes === 2) b.writeUInt16BE(value & 0xffff, u.lengthAt);
  else if (u.little) b.writeUInt32LE(value >>> 0, u.lengthAt);
  else b.writeUInt32BE(value >>> 0, u.lengthAt);
}

/** The mutation kinds, each `(seed bytes copy, format, r) => mutated bytes`. */
const MUTATIONS = {
  'bit-flips': (b, _f, r) => {
    flipBits(b, r, 0, b.length, 1 + pick(r, 16));
    return b;
  },
  'header-bit-flips': (b, _f, r) => {
    flipBits(b, r, 0, Math.min(b.length, 96), 1 + pick(r, 6));
    return b;
  },
  truncation: (b, _f, r) => b.subarray(0, pick(r, b.length)),
  'header-bytes': (b, _f, r) => {
    for (let i = 0, n = 1 + pick(r, 4); i < n; i++)
      b[pick(r, Math.min(b.length, 64))] = INTERESTING[pick(r, 6)];
    return b;
  },
  'chunk-length': (b, f, r) => {
    const us = units(f, b);
    if (us.length === 0) return b;
    const u = us[pick(r, us.length)];
    writeLength(b, u, r() < 0.5 ? INTERESTING_32[pick(r, INTERESTING_32.length)] : pick(r, 65536));
    return b;
  },
  'chunk-data': (b, f, r) => {
    const us = units(f, b);
    if (us.length === 0) return b;
    const u = us[pick(r, us.length)];
    flipBits(b, r, u.headerEnd, u.end, 1 + pick(r, 32));
    return b;
  },
  'chunk-drop': (b, f, r) => {
    const us = units(f, b);
    if (us.length < 2) return b;
    const u = us[1 + pick(r, us.length - 1)];
    return Buffer.concat([b.subarray(0, u.start), b.subarray(u.end)]);
  },
  'chunk-duplicate': (b, f, r) => {
    const us = units(f, b);
    if (us.length === 0) return b;
    const u = us[pick(r, us.length)];
    const copies = 1 + pick(r, r() < 0.1 ? 200 : 3);
    const dup = Buffer.concat(Array.from({ length: copies }, () => b.subarray(u.start, u.end)));
    return Buffer.concat([b.subarray(0, u.end), dup, b.subarray(u.end)]);
  },
  'chunk-swap': (b, f, r) => {
    const us = units(f, b);
    if (us.length < 3) return b;
    const i = pick(r, us.length - 1);
    const [x, y] = [us[i], us[i + 1]];
    return Buffer.concat([
      b.subarray(0, x.start),
      b.subarray(y.start, y.end),
      b.subarray(x.start, x.end),
      b.subarray(y.end),
    ]);
  },
  'declared-size': (b, f, r) => {
    const big = () => (r() < 0.5 ? INTERESTING_32[pick(r, INTERESTING_32.length)] : pick(r, 100_000));
    if (f === 'png' && b.length > 24) {
      b.writeUInt32BE(big() >>> 0, 16);
      b.writeUInt32BE(big() >>> 0, 20);
    } else if (f === 'jpeg') {
      const sof = units(f, b).find((u) => b[u.start + 1] >= 0xc0 && b[u.start + 1] <= 0xc2);
      if (sof && sof.start + 9 <= b.length) {
        b.writeUInt16BE(big() & 0xffff, sof.start + 5);
        b.writeUInt16BE(big() & 0xffff, sof.start + 7);
      }
    } else if (b.length > 30) {
      b.writeUIntLE(big() & 0xffffff, 24, 3);
      b.writeUIntLE(big() & 0xffffff, 27, 3);
    }
    return b;
  },
  splice: (b, _f, r) => {
    const at = pick(r, b.length);
    const junk = Buffer.alloc(1 + pick(r, 512));
    for (let i = 0; i < junk.length; i++) junk[i] = pick(r, 256);
    return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
  },
};

export const MUTATION_KINDS = Object.keys(MUTATIONS);

/**
 * One mutated image.
 * @param {{ format: string, bytes: Buffer }} seed
 * @param {() => number} r
 * @returns {{ kind: string, bytes: Buffer }}
 */
export function mutate(seed, r) {
  const kind = MUTATION_KINDS[pick(r, MUTATION_KINDS.length)];
  return { kind, bytes: Buffer.from(MUTATIONS[kind](Buffer.from(seed.bytes), seed.format, r)) };
}

/** The RSS the server reports on /metrics (prom-client's process_resident_memory_bytes). */
export async function serverRss(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^process_resident_memory_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
  if (!m) throw new Error('no process_resident_memory_bytes in /metrics');
  return Number(m[1]);
}

/**
 * Posts `count` mutated images to `${base}/predict`, `concurrency` at a time.
 * @param {{ base: string, count: number, seed: number, concurrency?: number, seeds: Awaited<ReturnType<typeof makeSeeds>> }} options
 * @returns {Promise<{ count: number, byStatus: Record<string, number>, byCode: Record<string, number>,
 *   byKind: Record<string, number>, latenciesMs: number[], serverErrors: { i: number, seed: string, kind: string, status: number, body: string }[],
 *   slowest: { i: number, seed: string, kind: string, ms: number, status: number } | null, wallMs: number }>}
 */
export async function runFuzz({ base, count, seed, concurrency = 2, seeds }) {
  const r = rng(seed);
  // Cases are drawn up front from the one PRNG, so the order of answers does not change them.
  const cases = Array.from({ length: count }, (_, i) => {
    const s = seeds[pick(r, seeds.length)];
    return { i, seed: s, ...mutate(s, r) };
  });
  const out = {
    count,
    byStatus: {},
    byCode: {},
    byKind: {},
    latenciesMs: [],
    serverErrors: [],
    slowest: null,
    wallMs: 0,
  };
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const t = performance.now();
      let status;
      let body = '';
      try {
        const res = await fetch(`${base}/predict`, {
          method: 'POST',
          headers: { 'content-type': c.seed.type },
          body: c.bytes,
        });
        status = res.status;
        body = await res.text();
      } catch (err) {
        status = -1;
        body = String(err);
      }
      const ms = performance.now() - t;
      out.latenciesMs.push(ms);
      out.byStatus[status] = (out.byStatus[status] ?? 0) + 1;
      out.byKind[c.kind] = (out.byKind[c.kind] ?? 0) + 1;
      let code = status === 200 ? 'OK' : 'unknown';
      try {
        code = status === 200 ? 'OK' : (JSON.parse(body).error?.code ?? 'no code');
      } catch {}
      out.byCode[code] = (out.byCode[code] ?? 0) + 1;
      if (status >= 500 || status < 0)
        out.serverErrors.push({ i: c.i, seed: c.seed.name, kind: c.kind, status, body: body.slice(0, 300) });
      if (!out.slowest || ms > out.slowest.ms)
        out.slowest = { i: c.i, seed: c.seed.name, kind: c.kind, ms, status };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  out.wallMs = performance.now() - t0;
  return out;
}

/** p-th percentile (0-100) of numbers. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
}
