#!/usr/bin/env node
// Worst-case memory of one replica: the built server (dist/) under WORKERS + QUEUE_SIZE concurrent
// uploads of the costliest accepted image, each body padded to MAX_BODY_BYTES. Prints the peak RSS
// (VmHWM, Linux) next to the estimate of docs/SECURITY.md. Run after a build:
//   node server/bench/memory.mjs            (MEM_WORKERS=2 MEM_QUEUE=16 MEM_ROUNDS=3 MEM_DATABASE_URL=...)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

const WORKERS = Number(process.env.MEM_WORKERS ?? 2);
const QUEUE = Number(process.env.MEM_QUEUE ?? 16);
const ROUNDS = Number(process.env.MEM_ROUNDS ?? 3);
const MAX_PIXELS = Number(process.env.MEM_MAX_PIXELS ?? 16_777_216);
const MAX_BODY = Number(process.env.MEM_MAX_BODY_BYTES ?? 16 * 1024 * 1024);
const DATABASE_URL = process.env.MEM_DATABASE_URL ?? '';
const MiB = 1024 * 1024;

const side = Math.floor(Math.sqrt(MAX_PIXELS));
// The costliest decode measured: 16-bit RGBA PNG with an EXIF rotation (libvips holds the whole
// 8-byte-per-pixel image to rotate it), ~10.5 bytes per pixel at peak.
// Flat content keeps the file small; the decode costs the same per pixel whatever the content.
let png = await sharp({ create: { width: side, height: side, channels: 3, background: '#7a8b9c' } })
  .ensureAlpha(0.5)
  .toColourspace('rgb16')
  .png({ compressionLevel: 9 })
  .withMetadata({ orientation: 6 })
  .toBuffer();
// Pad to MAX_BODY_BYTES with a private ancillary chunk (decoders skip it; the server holds it all).
const pad = MAX_BODY - png.length - 12;
if (pad > 0) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(pad);
  const body = Buffer.concat([Buffer.from('prVt', 'latin1'), Buffer.alloc(pad, 0x5a)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const iend = png.length - 12;
  png = Buffer.concat([png.subarray(0, iend), len, body, crc, png.subarray(iend)]);
}

const dir = mkdtempSync(join(tmpdir(), 'shelfwatch-mem-'));
const serverFile = new URL('../dist/server.js', import.meta.url).pathname;
const child = spawn(process.execPath, [serverFile], {
  env: {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: '0',
    WORKERS: String(WORKERS),
    QUEUE_SIZE: String(QUEUE),
    MAX_PIXELS: String(MAX_PIXELS),
    MAX_BODY_BYTES: String(MAX_BODY),
    RATE_LIMIT_PER_MINUTE: '0',
    DEV_MODE: 'true',
    API_KEYS: '',
    DATABASE_URL,
    DATA_DIR: join(dir, 'pglite'),
    WEB_ROOT: join(dir, 'none'),
    LOG_LEVEL: 'info',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    // The allocator settings of the image and the chart (docs/SECURITY.md).
    MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
    MALLOC_TRIM_THRESHOLD_: process.env.MALLOC_TRIM_THRESHOLD_ ?? '131072',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let out = '';
child.stdout.on('data', (d) => {
  out += d;
});
const kib = (field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) * 1024;
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
let base;
for (let i = 0; i < 900 && !base; i++) {
  await wait(100);
  base = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
}
if (!base) throw new Error(`server did not listen:\n${out}`);
for (let i = 0; i < 600; i++) {
  if ((await fetch(`${base}/health/ready`).catch(() => ({ status: 0 }))).status === 200) break;
  await wait(100);
}
const idle = kib('VmRSS');
const load = (await import('node:os')).loadavg()[0];
// Forget the start-up peak (PGlite's first start alone reaches ~1 GB): "5" resets VmHWM (Linux >= 4.0).
writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
const statuses = {};
for (let round = 0; round < ROUNDS; round++) {
  const answers = await Promise.all(
    Array.from({ length: WORKERS + QUEUE }, () =>
      fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png }).then(
        async (r) => {
          const body = await r.text();
          return r.status === 200 ? '200' : `${r.status} ${/"code":"(\w+)"/.exec(body)?.[1] ?? ''}`;
        },
        () => 'connection error',
      ),
    ),
  );
  for (const s of answers) statuses[s] = (statuses[s] ?? 0) + 1;
}
const peak = kib('VmHWM');
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
rmSync(dir, { recursive: true, force: true });

// docs/SECURITY.md's worst case (idle counted as measured here, not as its 160 + 40 x workers MiB).
const perPixel = 24;
const estimate = idle + (WORKERS + QUEUE) * MAX_BODY + WORKERS * perPixel * MAX_PIXELS;
console.log(`# ShelfWatch worst-case memory — ${new Date().toISOString()}`);
console.log(
  `workers ${WORKERS}, queue ${QUEUE}, MAX_PIXELS ${MAX_PIXELS} (${side}x${side} 16-bit RGBA PNG, EXIF 6), MAX_BODY_BYTES ${MAX_BODY} (body ${(png.length / MiB).toFixed(1)} MiB), database ${DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`,
);
console.log(`load average ${load.toFixed(1)} at start (the machine is shared)`);
console.log(`${ROUNDS} rounds of ${WORKERS + QUEUE} concurrent uploads: answers ${JSON.stringify(statuses)}`);
console.log(`idle RSS after warm-up: ${(idle / MiB).toFixed(0)} MiB`);
console.log(`peak RSS (VmHWM):       ${(peak / MiB).toFixed(0)} MiB`);
console.log(
  `docs/SECURITY.md estimate, idle + (W + Q) x MAX_BODY_BYTES + W x ${perPixel} B/px x MAX_PIXELS: ${(estimate / MiB).toFixed(0)} MiB`,
);
