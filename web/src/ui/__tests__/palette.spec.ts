import { describe, expect, it } from 'vitest';
import { contrast, HALO, HALO_OPACITY, luminance, MARKS } from '../palette.ts';

/** Luminance of the halo drawn at HALO_OPACITY over a pixel of luminance `bg` (approximation in linear light). */
const haloOver = (bg: number) => luminance(HALO) * HALO_OPACITY + bg * (1 - HALO_OPACITY);

const hex = (r: number, g: number, b: number) =>
  `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** Every grey level, and the six pure hues at every brightness. */
function backgrounds(): string[] {
  const out: string[] = [];
  for (let v = 0; v <= 255; v += 5) {
    out.push(hex(v, v, v));
    for (const [r, g, b] of [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
      [0, 1, 1],
      [1, 0, 1],
    ])
      out.push(hex(r! * v, g! * v, b! * v));
  }
  return out;
}

describe('palette', () => {
  it('every mark has >= 3:1 contrast against any photo pixel, through its line or its halo', () => {
    for (const [kind, colour] of Object.entries(MARKS)) {
      for (const bg of backgrounds()) {
        const l = luminance(bg);
        const best = Math.max(contrast(luminance(colour), l), contrast(haloOver(l), l));
        expect(best, `${kind} ${colour} on ${bg}`).toBeGreaterThanOrEqual(3);
      }
    }
  });

  it('each line stands out from its own halo', () => {
    for (const colour of Object.values(MARKS)) {
      expect(contrast(luminance(colour), haloOver(1))).toBeGreaterThanOrEqual(3);
    }
  });
});
