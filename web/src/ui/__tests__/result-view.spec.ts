import { describe, expect, it } from 'vitest';
import { pickScroll } from '../result-view.ts';

// A 844 px window with a 61 px sticky bar: items must end above 783.
const BAR_TOP = 783;

describe('pickScroll (a row or gap picked in the lists under the photo)', () => {
  it('brings the photo back into view when the picked item still shows above the bar', () => {
    expect(pickScroll(-300, 400, BAR_TOP)).toBe(-300);
    expect(pickScroll(20, 400, BAR_TOP)).toBe(0);
  });

  it('stops where the picked item would slide under the sticky bar', () => {
    // The gap list's first button near the bottom: scrolling all the way up would hide it.
    expect(pickScroll(-900, 700, BAR_TOP)).toBe(-83);
    // Tapped while half under the bar: it comes up above it.
    expect(pickScroll(-900, 810, BAR_TOP)).toBe(27);
    expect(pickScroll(10, 810, BAR_TOP)).toBe(27);
  });
});
