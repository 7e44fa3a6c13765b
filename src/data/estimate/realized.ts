/** Metrics measured where labels are known (the reference, or current data once its labels arrive). */
export const METRICS = ['roc_auc', 'accuracy', 'precision', 'recall', 'f1'] as const;
export type EstimateMetric = (typeof METRICS)[number];
export type MetricValues = Record<EstimateMetric, number>;

/** ROC AUC as the Mann-Whitney statistic; tied scores count one half. Any order of rows. */
export function rocAuc(score: Float64Array, label: Float64Array): number {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  let negativesBelow = 0;
  let positives = 0;
  let sum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    let pos = 0;
    let neg = 0;
    while (j < n && score[order[j]!] === score[order[i]!]) {
      if (label[order[j]!] === 1) pos++;
      else neg++;
      j++;
    }
    sum += pos * (negativesBelow + neg / 2);
    negativesBelow += neg;
    positives += pos;
    i = j;
  }
  return positives === 0 || negativesBelow === 0 ? NaN : sum / (positives * negativesBelow);
}

export function realizedMetrics(score: Float64Array, label: Float64Array, pred: Float64Array): MetricValues {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < label.length; i++) {
    const positive = label[i] === 1;
    if (pred[i] === 1) {
      if (positive) tp++;
      else fp++;
    } else if (positive) fn++;
    else tn++;
  }
  return { roc_auc: rocAuc(score, label), ...fromConfusion(tp, fp, fn, tn) };
}

/** Accuracy, precision, recall and F1 of a (possibly expected, fractional) confusion matrix; 0 when undefined, as NannyML. */
export function fromConfusion(tp: number, fp: number, fn: number, tn: number): Omit<MetricValues, 'roc_auc'> {
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    accuracy: ratio(tp + tn, tp + fp + fn + tn),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(tp, tp + 0.5 * (fp + fn)),
  };
}
