/**
 * Exact two-sided p-value of the two-sample Kolmogorov–Smirnov statistic, P(D ≥ d) under H0,
 * by counting lattice paths (Hodges 1958), the method scipy's `ks_2samp` uses when both samples
 * have at most 10,000 values. Returns null when the computation is not numerically sound, so the
 * caller falls back to the asymptotic distribution, as scipy does.
 */
export const EXACT_KS_MAX_N = 10_000;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export function ksExactPValue(n1: number, n2: number, d: number): number | null {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  // D is always a multiple of 1/lcm; rounding removes the floating-point noise of the ECDF difference.
  const h = Math.round(d * lcm);
  if (h === 0) return 1;
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  return Number.isFinite(p) && p >= 0 && p <= 1 ? p : null;
}

/** Equal sizes: 2·Σ alternating binomial ratios, evaluated Horner-style to avoid cancellation. */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    for (let j = 0; j < h; j++) term = ((n - k * h - j) * term) / (n + k * h + j + 1);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * Unequal sizes: the share of monotone lattice paths from (0,0) to (m,n) that leave the band
 * |x·n/g − y·m/g| < h. One column of the path-probability table is kept, over a sliding window.
 */
function probOutsideBand(a: number, b: number, g: number, h: number): number {
  const [m, n] = a >= b ? [a, b] : [b, a];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const len = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(len, n + 2)).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}
