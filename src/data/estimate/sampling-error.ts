import type { EstimateMetric } from './realized.js';

/**
 * NannyML's sampling error: an analytic estimate, from the reference, of the standard deviation a metric has over
 * samples of n rows — std of a per-row contribution over the rows the metric depends on, divided by
 * sqrt(n × the share of such rows). Bands are estimate ± 3 sampling errors, clipped to [0, 1].
 */
export type SamplingComponents = Record<EstimateMetric, { std: number; fraction: number }>;

/** Population std (numpy's default) from count, sum and sum of squares. */
const std = (count: number, sum: number, sumSq: number) => (count === 0 ? NaN : Math.sqrt(Math.max(0, sumSq / count - (sum / count) ** 2)));

/** `score` sorted ascending; `label`, `pred` 0/1 in the same order. */
export function samplingComponents(score: Float64Array, label: Float64Array, pred: Float64Array): SamplingComponents {
  const n = label.length;
  let positives = 0;
  for (let i = 0; i < n; i++) positives += label[i]!;
  // AUROC: over the minority-flipped positives, the share of negatives ranked below each one.
  const flip = positives / n > 0.5;
  const negatives = flip ? positives : n - positives;
  const pos = flip ? n - positives : positives;
  let below = 0;
  let s = 0;
  let s2 = 0;
  // Flipping the class also flips the score, so walk the sorted rows backwards then. Tied scores have no order
  // (NannyML's depends on numpy's unstable sort): a positive counts half of the negatives tied with it.
  const at = (k: number) => (flip ? n - 1 - k : k);
  for (let k = 0; k < n; ) {
    let j = k;
    let tiedNegatives = 0;
    let tiedPositives = 0;
    for (; j < n && score[at(j)] === score[at(k)]; j++) {
      if ((label[at(j)] === 1) !== flip) tiedPositives++;
      else tiedNegatives++;
    }
    const v = (below + tiedNegatives / 2) / negatives;
    s += tiedPositives * v;
    s2 += tiedPositives * v * v;
    below += tiedNegatives;
    k = j;
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    if (pred[i] === 1 && label[i] === 1) tp++;
    else if (pred[i] === 1) fp++;
    else if (label[i] === 1) fn++;
    if (pred[i] === label[i]) correct++;
  }
  const bernoulli = (ones: number, count: number) => std(count, ones, ones);
  const f1Count = tp + fp + fn;
  const factor = f1Count / ((fn + fp) * 0.5 + tp);
  return {
    roc_auc: { std: std(pos, s, s2), fraction: pos / n },
    accuracy: { std: bernoulli(correct, n), fraction: 1 },
    precision: { std: bernoulli(tp, tp + fp), fraction: (tp + fp) / n },
    recall: { std: bernoulli(tp, tp + fn), fraction: positives / n },
    f1: { std: bernoulli(tp, f1Count) * factor, fraction: f1Count / n },
  };
}

export function samplingError(c: { std: number; fraction: number }, rows: number): number {
  return c.std / Math.sqrt(rows * c.fraction);
}
