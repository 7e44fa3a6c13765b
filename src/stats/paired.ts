/**
 * Paired comparisons of two models scored on the same evaluation rows: McNemar's exact test for
 * accuracy-like metrics and a seeded paired bootstrap of the metric difference for any metric we
 * can recompute from per-example outputs. Pure and deterministic: same inputs and seed, same answer.
 */

export interface PairedOutputs {
  label: Float64Array;
  /** Score or probability (classification) or prediction (regression), per row, for each model. */
  candidateScore: Float64Array;
  productionScore: Float64Array;
  /** Hard class predictions; derived from score >= 0.5 when the command wrote none. */
  candidatePrediction: Float64Array;
  productionPrediction: Float64Array;
}

export type Direction = 'maximize' | 'minimize';

export interface PairedComparison {
  test: 'bootstrap' | 'mcnemar';
  metric: string;
  rows: number;
  /** Candidate minus production, signed so that positive means better. */
  gain: number;
  /** Two-sided interval of `gain` at the configured level (bootstrap only). */
  ci: [number, number] | null;
  pValue: number | null;
  level: number;
  /** McNemar's discordant pairs: candidate right / production wrong, and the reverse. */
  discordant?: { candidateOnly: number; productionOnly: number };
  resamples?: number;
  seed?: number;
}

/** Metrics the bootstrap can recompute from `predictions.csv`, with weights = bootstrap counts. */
type WeightedMetric = (label: Float64Array, score: Float64Array, pred: Float64Array, w: Float64Array, order: Uint32Array) => number;

const weightedMean = (f: (i: number) => number, w: Float64Array) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    s += w[i]! * f(i);
    n += w[i]!;
  }
  return n === 0 ? NaN : s / n;
};

const EPS = 1e-15;
const clampP = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

export const METRICS: Record<string, { fn: WeightedMetric; accuracyLike: boolean }> = {
  accuracy: { fn: (y, _s, p, w) => weightedMean((i) => (p[i] === y[i] ? 1 : 0), w), accuracyLike: true },
  error_rate: { fn: (y, _s, p, w) => weightedMean((i) => (p[i] === y[i] ? 0 : 1), w), accuracyLike: true },
  auc: { fn: (y, s, _p, w, order) => weightedAuc(y, s, w, order), accuracyLike: false },
  logloss: {
    fn: (y, s, _p, w) => weightedMean((i) => -(y[i]! * Math.log(clampP(s[i]!)) + (1 - y[i]!) * Math.log(1 - clampP(s[i]!))), w),
    accuracyLike: false,
  },
  brier: { fn: (y, s, _p, w) => weightedMean((i) => (s[i]! - y[i]!) ** 2, w), accuracyLike: false },
  mse: { fn: (y, s, _p, w) => weightedMean((i) => (s[i]! - y[i]!) ** 2, w), accuracyLike: false },
  rmse: { fn: (y, s, _p, w) => Math.sqrt(weightedMean((i) => (s[i]! - y[i]!) ** 2, w)), accuracyLike: false },
  mae: { fn: (y, s, _p, w) => weightedMean((i) => Math.abs(s[i]! - y[i]!), w), accuracyLike: false },
};

/** Indices sorted by score ascending, computed once per model and reused by every resample. */
export function scoreOrder(score: Float64Array): Uint32Array {
  const order = new Uint32Array(score.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => score[a]! - score[b]!);
}

/** ROC AUC with row weights (ties count half), in one pass over the pre-sorted rows. */
export function weightedAuc(label: Float64Array, score: Float64Array, w: Float64Array, order: Uint32Array): number {
  let negBelow = 0;
  let area = 0;
  let pos = 0;
  let neg = 0;
  for (let k = 0; k < order.length; ) {
    const s = score[order[k]!]!;
    let wp = 0;
    let wn = 0;
    while (k < order.length && score[order[k]!] === s) {
      const i = order[k]!;
      if (label[i] === 1) wp += w[i]!;
      else wn += w[i]!;
      k++;
    }
    area += wp * (negBelow + wn / 2);
    negBelow += wn;
    pos += wp;
    neg += wn;
  }
  return pos === 0 || neg === 0 ? NaN : area / (pos * neg);
}

/** mulberry32: small, fast, and the same sequence on every platform for a given seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function pairedBootstrap(
  data: PairedOutputs,
  metric: string,
  direction: Direction,
  opts: { resamples: number; seed: number; level: number },
): PairedComparison {
  const m = METRICS[metric];
  if (!m) throw new Error(`no paired bootstrap for metric "${metric}" (supported: ${Object.keys(METRICS).join(', ')})`);
  const n = data.label.length;
  const sign = direction === 'maximize' ? 1 : -1;
  const candOrder = scoreOrder(data.candidateScore);
  const prodOrder = scoreOrder(data.productionScore);
  const ones = new Float64Array(n).fill(1);
  const gainOf = (w: Float64Array) =>
    sign * (m.fn(data.label, data.candidateScore, data.candidatePrediction, w, candOrder) - m.fn(data.label, data.productionScore, data.productionPrediction, w, prodOrder));
  const observed = gainOf(ones);
  const rand = seededRandom(opts.seed);
  const gains = new Float64Array(opts.resamples);
  const w = new Float64Array(n);
  let kept = 0;
  for (let b = 0; b < opts.resamples; b++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[Math.floor(rand() * n)]! += 1;
    const g = gainOf(w);
    // A resample with one class only has no AUC; it says nothing about the difference.
    if (Number.isFinite(g)) gains[kept++] = g;
  }
  const sorted = gains.subarray(0, kept).sort();
  const ci: [number, number] = kept ? [quantileSorted(sorted, opts.level / 2), quantileSorted(sorted, 1 - opts.level / 2)] : [NaN, NaN];
  // Two-sided bootstrap p-value for "no difference": how often the resampled gain falls on the other side of 0.
  let below = 0;
  for (let i = 0; i < kept; i++) if (sorted[i]! <= 0) below++;
  const pValue = kept ? Math.min(1, 2 * Math.min(below, kept - below) / kept) : null;
  return { test: 'bootstrap', metric, rows: n, gain: observed, ci, pValue, level: opts.level, resamples: opts.resamples, seed: opts.seed };
}

/** McNemar's exact test (binomial on the discordant pairs), as statsmodels' `mcnemar(exact=True)`. */
export function mcnemar(data: PairedOutputs, metric: string, level: number): PairedComparison {
  let candidateOnly = 0;
  let productionOnly = 0;
  const n = data.label.length;
  for (let i = 0; i < n; i++) {
    const c = data.candidatePrediction[i] === data.label[i];
    const p = data.productionPrediction[i] === data.label[i];
    if (c && !p) candidateOnly++;
    else if (p && !c) productionOnly++;
  }
  const pValue = binomialTwoSided(Math.min(candidateOnly, productionOnly), candidateOnly + productionOnly);
  return { test: 'mcnemar', metric, rows: n, gain: n ? (candidateOnly - productionOnly) / n : 0, ci: null, pValue, level, discordant: { candidateOnly, productionOnly } };
}

/** P-value of an exact two-sided binomial test with p = 0.5: min(1, 2·P(X ≤ k)), X ~ Bin(n, 1/2). */
export function binomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  // Sum in log space: n can be large, and 0.5^n underflows.
  let logTerm = -n * Math.LN2; // log C(n,0) 0.5^n
  let total = 0;
  const maxLog = -n * Math.LN2 + logChoose(n, k);
  for (let i = 0; i <= k; i++) {
    total += Math.exp(logTerm - maxLog);
    logTerm += Math.log((n - i) / (i + 1));
  }
  return Math.min(1, 2 * total * Math.exp(maxLog));
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}
