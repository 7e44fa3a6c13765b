/** Logistic regression with standardized numeric and one-hot categorical features. */
export interface ChurnModel {
  numeric: { name: string; mean: number; std: number }[];
  categorical: { name: string; values: string[] }[];
  weights: number[];
  bias: number;
}

export const NUMERIC = ['tenure_months', 'monthly_charges', 'support_calls'];
export const CATEGORICAL = ['contract', 'internet_service', 'payment_method'];

type Row = Record<string, string>;

export function features(model: Pick<ChurnModel, 'numeric' | 'categorical'>, row: Row): number[] {
  const x = model.numeric.map((f) => (Number(row[f.name]) - f.mean) / f.std);
  for (const c of model.categorical) for (const v of c.values) x.push(row[c.name] === v ? 1 : 0);
  return x;
}

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function predict(model: ChurnModel, row: Row): number {
  const x = features(model, row);
  return sigmoid(x.reduce((s, xi, i) => s + xi * model.weights[i]!, model.bias));
}

export interface TrainParams {
  learningRate: number;
  epochs: number;
  l2: number;
  /** Feature columns to leave out (to try a smaller model, or to make a weaker one in tests). */
  exclude?: string[];
}

/** Full-batch gradient descent; small data, so simple and deterministic. */
export function fit(rows: Row[], target: string, p: TrainParams): ChurnModel {
  const use = (name: string) => !(p.exclude ?? []).includes(name);
  const numeric = NUMERIC.filter(use).map((name) => {
    const xs = rows.map((r) => Number(r[name]));
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length) || 1;
    return { name, mean, std };
  });
  const categorical = CATEGORICAL.filter(use).map((name) => ({ name, values: [...new Set(rows.map((r) => r[name]!))].sort() }));
  const X = rows.map((r) => features({ numeric, categorical }, r));
  const y = rows.map((r) => Number(r[target]));
  const w = new Array<number>(X[0]?.length ?? 0).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    const grad = new Array<number>(w.length).fill(0);
    let gb = 0;
    X.forEach((x, i) => {
      const err = sigmoid(x.reduce((s, xi, j) => s + xi * w[j]!, b)) - y[i]!;
      x.forEach((xi, j) => (grad[j]! += err * xi));
      gb += err;
    });
    w.forEach((wj, j) => (w[j] = wj - p.learningRate * (grad[j]! / X.length + p.l2 * wj)));
    b -= (p.learningRate * gb) / X.length;
  }
  return { numeric, categorical, weights: w, bias: b };
}

/** Area under the ROC curve by the rank-sum formula, ties averaged. */
export function auc(scores: number[], labels: number[]): number {
  const idx = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j]![0] === idx[i]![0]) j++;
    const avgRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) {
      if (idx[k]![1] === 1) {
        rankSum += avgRank;
        pos++;
      }
    }
    i = j;
  }
  const neg = idx.length - pos;
  return pos === 0 || neg === 0 ? 0.5 : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function scoreMetrics(scores: number[], labels: number[]) {
  const eps = 1e-12;
  const n = labels.length;
  const accuracy = labels.filter((y, i) => (scores[i]! >= 0.5 ? 1 : 0) === y).length / n;
  const logloss = -labels.reduce((s, y, i) => s + (y ? Math.log(scores[i]! + eps) : Math.log(1 - scores[i]! + eps)), 0) / n;
  return { auc: auc(scores, labels), accuracy, logloss, rows: n };
}
