/**
 * Special functions for p-values, in plain TypeScript (no dependencies), accurate to ~1e-12
 * relative in the ranges drift tests use. Checked against scipy in test/unit/drift-stats.test.ts.
 */

const EPS = 1e-16;
const FPMIN = 1e-300;

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) (scipy.special.gammaincc). */
export function gammaincc(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const lnPre = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // series for P(a, x)
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  // Lentz continued fraction for Q(a, x)
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(lnPre) * h;
}

/** Survival function of the chi-squared distribution (scipy.stats.chi2.sf). */
export const chi2Sf = (x: number, df: number) => gammaincc(df / 2, x / 2);

/** Two-sided normal tail 2·(1 − Φ(|z|)), via erfc(t) = Q(1/2, t²). */
export const normTwoSided = (z: number) => gammaincc(0.5, (z * z) / 2);

/** Kolmogorov limiting survival function (scipy.special.kolmogorov). */
export function kolmogorov(y: number): number {
  if (y <= 0) return 1;
  if (y < 1) {
    // 1 - CDF, CDF = sqrt(2π)/y Σ exp(-(2k-1)²π²/(8y²))
    let cdf = 0;
    for (let k = 1; k < 100; k++) {
      const term = Math.exp(-((2 * k - 1) ** 2) * Math.PI ** 2 / (8 * y * y));
      cdf += term;
      if (term < 1e-18) break;
    }
    return 1 - (Math.sqrt(2 * Math.PI) / y) * cdf;
  }
  let sf = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * y * y);
    sf += (k % 2 === 1 ? 2 : -2) * term;
    if (term < 1e-18) break;
  }
  return Math.max(0, Math.min(1, sf));
}
