import { describe, expect, it } from 'vitest';
import type { DecodedImage } from '../src/index.js';
import { stripSeams } from '../src/strip-seams.js';

/** A 600 x 200 grey photo with a bright strip under a shelf line at y = 100 (products 80 px tall). */
function strip(
  paint: (fill: (x1: number, y1: number, x2: number, y2: number, v: number) => void) => void,
): DecodedImage {
  const width = 600;
  const height = 200;
  const data = new Uint8Array(width * height * 4).fill(255);
  const fill = (x1: number, y1: number, x2: number, y2: number, v: number) => {
    for (let y = y1; y < y2; y++)
      for (let x = x1; x < x2; x++) data.fill(v, (y * width + x) * 4, (y * width + x) * 4 + 3);
  };
  fill(0, 0, width, height, 80);
  fill(0, 101, width, 124, 220);
  paint(fill);
  return { data, width, height, channels: 4 };
}

const row = { line: { slope: 0, intercept: 100 }, lo: 0, hi: 599, height: 80 };

describe('stripSeams', () => {
  it('finds a thin dark line across the whole strip, and only that', () => {
    const image = strip((fill) => {
      fill(300, 101, 305, 124, 50); // the upright
      for (let k = 0; k < 8; k++) fill(100 + 3 * k, 103, 101 + 3 * k, 112, 20); // a barcode's bars
      fill(400, 101, 440, 124, 40); // a dark label, wider than a seam
      fill(480, 112, 510, 124, 150); // a price tag's edge: a step, not a dip
    });
    const seams = stripSeams(image, row);
    expect(seams).toHaveLength(1);
    expect(Math.abs(seams[0]! - 302)).toBeLessThanOrEqual(2);
  });

  it('takes neither a coloured mark nor the dark edge between bright labels for a seam', () => {
    // Red arrows on the strip: dark as grey (a quarter of the channels' sum), bright in red.
    const arrows = strip(() => {});
    for (const x0 of [150, 300, 450])
      for (let y = 101; y < 124; y++)
        for (let x = x0; x < x0 + 5; x++) arrows.data.set([230, 20, 20], (y * 600 + x) * 4);
    expect(stripSeams(arrows, row)).toEqual([]);
    // A dark shelf edge with bright price labels in pairs 4 px apart: the edge shows between them (as
    // thin as a seam), no darker than most of the strip; a seam between two labels, darker still, is found.
    const labels = (seam: boolean) =>
      strip((fill) => {
        fill(0, 101, 600, 124, 90);
        for (let x = 10; x < 520; x += 104) {
          fill(x, 101, x + 30, 124, 230);
          fill(x + 34, 101, x + 64, 124, 230);
        }
        if (seam) fill(352, 101, 356, 124, 30);
      });
    expect(stripSeams(labels(false), row)).toEqual([]);
    const seams = stripSeams(labels(true), row);
    expect(seams).toHaveLength(1);
    expect(Math.abs(seams[0]! - 354)).toBeLessThanOrEqual(2);
  });

  it('follows a sloping row and finds nothing in a plain strip or off the photo', () => {
    expect(
      stripSeams(
        strip(() => {}),
        row,
      ),
    ).toEqual([]);
    expect(
      stripSeams(
        strip(() => {}),
        { ...row, line: { slope: 0, intercept: 400 } },
      ),
    ).toEqual([]);
    // A strip that falls 20 px over the row, its line sloping alike: the seam is still found.
    const width = 600;
    const data = new Uint8Array(width * 240 * 3).fill(80);
    for (let x = 0; x < width; x++) {
      const top = 101 + Math.round(x / 30);
      for (let y = top; y < top + 23; y++)
        data.fill(x >= 200 && x < 205 ? 50 : 220, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
    const seams = stripSeams(
      { data, width, height: 240, channels: 3 },
      { ...row, line: { slope: 1 / 30, intercept: 100 } },
    );
    expect(seams).toHaveLength(1);
    expect(Math.abs(seams[0]! - 202)).toBeLessThanOrEqual(2);
  });
});
