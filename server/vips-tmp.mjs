import sharp from 'sharp';
import { readFileSync } from 'node:fs';
const f = process.argv[2];
const W = 640, H = 640;
const src = await sharp(readFileSync(f)).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
const ref = await sharp(readFileSync(f)).rotate().removeAlpha().resize(W, H, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
const { width: sw, height: sh } = src.info;
let OFF = 0;
const SCALE = 1 << 12, TSCALE = 1 << 10;
function masks(shrink) {
  const n = 2 * Math.round(shrink) + 1; // rint
  const out = [];
  for (let s = 0; s <= TSCALE; s++) {
    const x = s / TSCALE;
    const half = x + n / 2 - 1;
    const c = []; let sum = 0;
    for (let i = 0; i < n; i++) { const l = Math.max(0, 1 - Math.abs((i - half) / shrink)); c.push(l); sum += l; }
    const d = c.map((v) => v / sum);
    // int mask, adjust to keep sum == SCALE
    const ci = d.map((v) => Math.round(v * SCALE));
    const isum = ci.reduce((a, b) => a + b, 0);
    ci[Math.floor(n / 2)] += SCALE - isum;
    out.push(ci);
  }
  return { n, out };
}
function reduce1d(get, srcLen, dstLen, shrink) {
  const { n, out } = masks(shrink);
  const res = new Float64Array(dstLen);
  return (o) => {
    const X = (o + 0.5) * shrink - 0.5;
    const ix = Math.floor(X);
    const sx = X - ix;
    const m = out[Math.floor(sx * TSCALE)];
    let acc = 0;
    for (let i = 0; i < n; i++) {
      let s = ix + i - Math.floor(n / 2) + OFF;
      s = Math.min(srcLen - 1, Math.max(0, s));
      acc += m[i] * get(s);
    }
    return Math.min(255, Math.max(0, (acc + (SCALE >> 1)) >> 12));
  };
}
const hs = sw / W, vs = sh / H;
// horizontal then vertical? libvips resize does reducev first then reduceh? try both
function run(order, offs) {
  const px = src.data;
  const out = new Uint8Array(W * H * 3);
  if (order === 'hv') {
    const tmp = new Uint8Array(sh * W * 3);
    for (let y = 0; y < sh; y++) for (let c = 0; c < 3; c++) {
      const f = reduce1d((s) => px[(y * sw + s) * 3 + c], sw, W, hs);
      for (let x = 0; x < W; x++) tmp[(y * W + x) * 3 + c] = f(x);
    }
    for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
      const f = reduce1d((s) => tmp[(s * W + x) * 3 + c], sh, H, vs);
      for (let y = 0; y < H; y++) out[(y * W + x) * 3 + c] = f(y);
    }
  } else {
    const tmp = new Uint8Array(H * sw * 3);
    for (let x = 0; x < sw; x++) for (let c = 0; c < 3; c++) {
      const f = reduce1d((s) => px[(s * sw + x) * 3 + c], sh, H, vs);
      for (let y = 0; y < H; y++) tmp[(y * sw + x) * 3 + c] = f(y);
    }
    for (let y = 0; y < H; y++) for (let c = 0; c < 3; c++) {
      const f = reduce1d((s) => tmp[(y * sw + s) * 3 + c], sw, W, hs);
      for (let x = 0; x < W; x++) out[(y * W + x) * 3 + c] = f(x);
    }
  }
  let max = 0, sum = 0, eq = 0;
  for (let i = 0; i < out.length; i++) { const d = Math.abs(out[i] - ref[i]); max = Math.max(max, d); sum += d; if (!d) eq++; }
  console.log(order, 'max', max, 'mean', (sum / out.length).toFixed(3), 'exact', (eq / out.length).toFixed(4));
}
for (const o of [-1,0,1]) { OFF = o; console.log('off', o); run('hv'); }
import { resizeLetterbox, computeLetterbox } from '@shelfwatch/shared';
const r2 = resizeLetterbox(new Uint8Array(src.data), sw, sh, 3, computeLetterbox(sw, sh, W, H));
let m=0,su=0; for (let i=0;i<r2.length;i++){const d=Math.abs(r2[i]-ref[i]); m=Math.max(m,d); su+=d;} console.log('shared ref', m, (su/r2.length).toFixed(3));
