/**
 * Colours drawn over photos. Every mark is a bright line on a dark halo, so that against any photo
 * pixel one of the two has at least 3:1 contrast (WCAG 1.4.11, non-text contrast): a pixel too bright
 * for the dark halo is dark against the bright line, and the reverse. `__tests__/palette.spec.ts`
 * checks this over every grey level and every pure hue.
 */

export const HALO = '#000000';
/** Opacity of the halo stroke (solid: a see-through halo loses contrast on mid greys, see the test). */
export const HALO_OPACITY = 1;

export const MARKS = {
  /** Product outlines. */
  product: '#4dff9a',
  /** Shelf row lines and their numbers. */
  row: '#7fd4ff',
  /** Empty gaps (likely out of stock). */
  gap: '#ff8ad8',
  /** The row or gap picked in the list. */
  highlight: '#ffe14d',
} as const;

export type MarkKind = keyof typeof MARKS;

/** WCAG relative luminance of an sRGB colour `#rrggbb`. */
export function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = c.map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
}

export function contrast(l1: number, l2: number): number {
  const [a, b] = l1 > l2 ? [l1, l2] : [l2, l1];
  return (a + 0.05) / (b + 0.05);
}
