/**
 * The example's model: a seasonal profile of weekly CO2, fitted by least squares on two harmonics of
 * the week of year. It knows the season but not the trend, so its level is that of the year it was
 * trained on: the cost of never retraining grows as CO2 climbs.
 */
export interface SeasonalModel {
  coef: number[];
}

const features = (week: number) => {
  const a = (2 * Math.PI * week) / 52.18;
  return [1, Math.sin(a), Math.cos(a), Math.sin(2 * a), Math.cos(2 * a)];
};

/** Normal equations solved by Gaussian elimination (5 unknowns). */
export function fit(weeks: number[], y: number[]): SeasonalModel {
  const k = 5;
  const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
  weeks.forEach((w, i) => {
    const x = features(w);
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) A[r]![c]! += x[r]! * x[c]!;
      A[r]![k]! += x[r]! * y[i]!;
    }
  });
  for (let p = 0; p < k; p++) {
    const pivot = A[p]![p]!;
    for (let c = p; c <= k; c++) A[p]![c]! /= pivot;
    for (let r = 0; r < k; r++) {
      if (r === p) continue;
      const f = A[r]![p]!;
      for (let c = p; c <= k; c++) A[r]![c]! -= f * A[p]![c]!;
    }
  }
  return { coef: A.map((row) => row[k]!) };
}

export const predict = (m: SeasonalModel, week: number) => features(week).reduce((s, x, i) => s + x * m.coef[i]!, 0);

export function scoreMetrics(pred: number[], y: number[]) {
  const err = pred.map((p, i) => p - y[i]!);
  return {
    mae: err.reduce((s, e) => s + Math.abs(e), 0) / err.length,
    rmse: Math.sqrt(err.reduce((s, e) => s + e * e, 0) / err.length),
    rows: err.length,
  };
}
