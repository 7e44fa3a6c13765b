/**
 * Isotonic (monotone non-decreasing) regression of labels on scores, fitted by pool-adjacent-violators on the
 * distinct scores, and applied by linear interpolation between them with clipping outside the fitted range.
 * This is the calibration NannyML's CBPE uses (scikit-learn's IsotonicRegression, out_of_bounds="clip"):
 * duplicate scores are pooled into their mean label first, so ties never depend on row order.
 */
export interface IsotonicFit {
  /** Knots: increasing scores and the calibrated probability at each; interpolate between, clip outside. */
  x: Float64Array;
  y: Float64Array;
}

/** `score` must be sorted ascending; `label` holds 0/1 in the same order. */
export function fitIsotonic(score: Float64Array, label: Float64Array): IsotonicFit {
  const n = score.length;
  // Pool equal scores: value = mean label, weight = count.
  const xs: number[] = [];
  const sums: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    const last = xs.length - 1;
    if (last >= 0 && xs[last] === score[i]) {
      sums[last]! += label[i]!;
      weights[last]! += 1;
    } else {
      xs.push(score[i]!);
      sums.push(label[i]!);
      weights.push(1);
    }
  }
  // Pool adjacent violators over blocks (mean, weight, first index).
  const m = xs.length;
  const bMean = new Float64Array(m);
  const bWeight = new Float64Array(m);
  const bStart = new Int32Array(m);
  let blocks = 0;
  for (let i = 0; i < m; i++) {
    let mean = sums[i]! / weights[i]!;
    let weight = weights[i]!;
    let start = i;
    while (blocks > 0 && bMean[blocks - 1]! >= mean) {
      const b = blocks - 1;
      mean = (bMean[b]! * bWeight[b]! + mean * weight) / (bWeight[b]! + weight);
      weight += bWeight[b]!;
      start = bStart[b]!;
      blocks--;
    }
    bMean[blocks] = mean;
    bWeight[blocks] = weight;
    bStart[blocks] = start;
    blocks++;
  }
  // Keep only each block's first and last score: interpolation inside a constant block gives the constant.
  const kx: number[] = [];
  const ky: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const first = bStart[b]!;
    const last = b + 1 < blocks ? bStart[b + 1]! - 1 : m - 1;
    kx.push(xs[first]!);
    ky.push(bMean[b]!);
    if (last !== first) {
      kx.push(xs[last]!);
      ky.push(bMean[b]!);
    }
  }
  return { x: Float64Array.from(kx), y: Float64Array.from(ky) };
}

/** The calibrated probability of one score (binary search over the knots). */
export function calibrate(fit: IsotonicFit, score: number): number {
  const { x, y } = fit;
  const last = x.length - 1;
  if (score <= x[0]!) return y[0]!;
  if (score >= x[last]!) return y[last]!;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= score) lo = mid;
    else hi = mid;
  }
  return y[lo]! + ((y[hi]! - y[lo]!) * (score - x[lo]!)) / (x[hi]! - x[lo]!);
}
