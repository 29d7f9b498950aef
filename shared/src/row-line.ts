// Robust straight-line fits of shelf baselines (internal to the shelf-row modules, not re-exported).

/** A baseline `y = intercept + slope * x` in image pixels. */
export interface RowLine {
  slope: number;
  intercept: number;
}

/** Steepest row accepted, dy/dx (45 degrees). */
export const MAX_SLOPE = 1;

/** `y` of the line at `x`. */
export function lineY(line: RowLine, x: number): number {
  return line.intercept + line.slope * x;
}

/** Moves the k-th smallest of `a` to `a[k]`, smaller ones before it (Hoare's quickselect, O(n) expected). */
function select(a: Float64Array, k: number): void {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * Median of a list (a typed array is reordered in place, a plain array copied); NaN when empty or
 * with a NaN inside. O(n) expected (quickselect).
 */
export function medianInPlace(v: readonly number[] | Float64Array): number {
  const n = v.length;
  if (n === 0) return Number.NaN;
  const a = v instanceof Float64Array ? v : Float64Array.from(v);
  for (let i = 0; i < n; i++) if (Number.isNaN(a[i]!)) return Number.NaN;
  const m = n >> 1;
  select(a, m);
  if (n % 2 === 1) return a[m]!;
  let below = a[0]!;
  for (let i = 1; i < m; i++) if (a[i]! > below) below = a[i]!;
  return (below + a[m]!) / 2;
}

/** Tukey's biweight: weights fall to 0 at residual = `TUKEY_C` x the point's scale. */
const TUKEY_C = 0.5;
const IRLS_ROUNDS = 4;

/**
 * A prior belief about a row's slope: a ridge penalty `(weight * scale)^2 * (slope - prior)^2` added
 * to the weighted squared residuals, `scale` the points' median scale. It is worth as much as two
 * points `weight * scale` on either side of the others: negligible for a long row, decisive for
 * two boxes side by side.
 */
export interface SlopePrior {
  slope: number;
  /** In units of the points' median scale (0: no prior). */
  weight: number;
}

/**
 * Fits `y = a + b x` to points `(xs[k], ys[k])` for `k` in `idx`, robust to a minority of outliers:
 * a robust start (slope = median of the slopes between x-neighbours at least half a scale apart,
 * intercept = median residual), then iteratively reweighted least squares with Tukey's biweight,
 * residuals measured in each point's own `scales[k]` (a product's height), so that one box that
 * straddles two shelves gets weight 0 instead of tilting the line. The slope is shrunk towards
 * `prior.slope` by a ridge penalty ({@link SlopePrior}): a row of a few products takes the photo's
 * slope, a long row its own. The slope is clamped to `+-maxSlope`. O(m log m) for m points.
 */
export function fitRowLine(
  xs: Float64Array,
  ys: Float64Array,
  scales: Float64Array,
  idx: readonly number[],
  maxSlope: number,
  prior: SlopePrior = { slope: 0, weight: 0 },
): RowLine {
  const m = idx.length;
  if (m === 0) return { slope: 0, intercept: 0 };
  if (m === 1) return { slope: prior.slope, intercept: ys[idx[0]!]! - prior.slope * xs[idx[0]!]! };
  const clamp = (s: number) => Math.max(-maxSlope, Math.min(maxSlope, s));
  const scale = medianInPlace(Float64Array.from(idx, (i) => scales[i]!));
  const ridge = (prior.weight * scale) ** 2;
  const { slope, intercept } = robustStart(xs, ys, scales, idx, clamp, prior);
  return irls(xs, ys, scales, idx, clamp, prior, ridge, slope, intercept);
}

/** Slope = median of the slopes between x-neighbours at least half a scale apart; intercept = median residual. */
function robustStart(
  xs: Float64Array,
  ys: Float64Array,
  scales: Float64Array,
  idx: readonly number[],
  clamp: (s: number) => number,
  prior: SlopePrior,
): RowLine {
  const m = idx.length;
  const order = idx.slice().sort((a, b) => xs[a]! - xs[b]! || a - b);
  const slopes: number[] = [];
  for (let k = 1; k < m; k++) {
    const a = order[k - 1]!;
    // The next point at least a product height (the scale) to the right: a pair of overlapping
    // boxes would turn pixel noise into a steep slope.
    for (let j = k; j < m; j++) {
      const b = order[j]!;
      const dx = xs[b]! - xs[a]!;
      if (dx >= 0.5 * Math.min(scales[a]!, scales[b]!)) {
        slopes.push((ys[b]! - ys[a]!) / dx);
        break;
      }
    }
  }
  // Fewer than 3 slopes say little: start from the prior (the ridge then weighs the data).
  const slope = clamp(slopes.length >= 3 ? medianInPlace(slopes) : prior.slope);
  const res = new Float64Array(m);
  for (let k = 0; k < m; k++) res[k] = ys[idx[k]!]! - slope * xs[idx[k]!]!;
  return { slope, intercept: medianInPlace(res) };
}

/** Iteratively reweighted least squares (Tukey's biweight) with the ridge towards the prior slope. */
function irls(
  xs: Float64Array,
  ys: Float64Array,
  scales: Float64Array,
  idx: readonly number[],
  clamp: (s: number) => number,
  prior: SlopePrior,
  ridge: number,
  slope: number,
  intercept: number,
): RowLine {
  for (let round = 0; round < IRLS_ROUNDS; round++) {
    // Weighted least squares around the weighted mean x (numerically stable for large x).
    let sw = 0;
    let sx = 0;
    let sy = 0;
    for (const i of idx) {
      const u = (ys[i]! - intercept - slope * xs[i]!) / (TUKEY_C * scales[i]!);
      if (!(Math.abs(u) < 1)) continue;
      const w = (1 - u * u) ** 2;
      sw += w;
      sx += w * xs[i]!;
      sy += w * ys[i]!;
    }
    if (sw === 0) break;
    const mx = sx / sw;
    const my = sy / sw;
    let sxx = 0;
    let sxy = 0;
    for (const i of idx) {
      const u = (ys[i]! - intercept - slope * xs[i]!) / (TUKEY_C * scales[i]!);
      if (!(Math.abs(u) < 1)) continue;
      const w = (1 - u * u) ** 2;
      sxx += w * (xs[i]! - mx) ** 2;
      sxy += w * (xs[i]! - mx) * (ys[i]! - my);
    }
    // Weighted points without spread and no prior fix no slope: keep the current one.
    const next = sxx + ridge > 0 ? clamp((sxy + ridge * prior.slope) / (sxx + ridge)) : slope;
    const nextIntercept = my - next * mx;
    const done = Math.abs(next - slope) < 1e-9 && Math.abs(nextIntercept - intercept) < 1e-6;
    slope = next;
    intercept = nextIntercept;
    if (done) break;
  }
  return { slope, intercept };
}
