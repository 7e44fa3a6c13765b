// A small binary classifier for the temporal-retrain command contract: logistic regression on
// standardised numeric columns and one-hot categorical ones, chosen from the data itself.
// Replace it with your own model; keep train.mjs / evaluate.mjs reading and writing the same files.
import { readFileSync } from 'node:fs';

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF); rows as objects keyed by the header. */
export function readCsv(file) {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const records = [];
  let row = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  const endRow = () => {
    endCell();
    records.push(row);
    row = [];
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') endCell();
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else cell += ch;
  }
  if (cell !== '' || row.length) endRow();
  const [header, ...lines] = records.filter((r) => r.length > 1 || r[0] !== '');
  return lines.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ''])));
}

export function readParams() {
  const file = process.env.RETRAIN_PARAMS_FILE;
  if (file) return JSON.parse(readFileSync(file, 'utf8'));
  return JSON.parse(process.env.RETRAIN_PARAMS || '{}');
}

export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run me through the retrain pipeline)`);
  return v;
}

const isNumber = (v) => v !== '' && Number.isFinite(Number(v));

/** The positive class: 1/true/yes when present, otherwise the larger of the two label values. */
export function positiveLabel(values) {
  const distinct = [...new Set(values)].sort();
  if (distinct.length > 2) throw new Error(`target has ${distinct.length} distinct values; this scaffolded model is a binary classifier`);
  return distinct.find((v) => ['1', 'true', 'yes'].includes(v.toLowerCase())) ?? distinct.at(-1);
}

/** Numeric columns and low-cardinality text columns; ids and other non-features go in params.exclude. */
function chooseFeatures(rows, target, exclude) {
  const numeric = [];
  const categorical = [];
  for (const name of Object.keys(rows[0] ?? {})) {
    if (name === target || exclude.includes(name)) continue;
    const values = rows.map((r) => r[name]);
    if (values.every((v) => v === '' || isNumber(v))) numeric.push(name);
    else if (new Set(values).size <= 50) categorical.push(name);
  }
  return { numeric, categorical };
}

export function features(model, row) {
  const x = model.numeric.map((f) => (isNumber(row[f.name]) ? (Number(row[f.name]) - f.mean) / f.std : 0));
  for (const c of model.categorical) for (const v of c.values) x.push(row[c.name] === v ? 1 : 0);
  return x;
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

export function predict(model, row) {
  return sigmoid(features(model, row).reduce((s, xi, i) => s + xi * model.weights[i], model.bias));
}

/** Full-batch gradient descent: deterministic, fine for the tens of thousands of rows of a first model. */
export function fit(rows, target, params) {
  const p = { learningRate: 0.5, epochs: 300, l2: 0.001, exclude: [], ...params };
  const positive = positiveLabel(rows.map((r) => r[target]));
  const chosen = chooseFeatures(rows, target, p.exclude);
  const numeric = chosen.numeric.map((name) => {
    const xs = rows.map((r) => r[name]).filter(isNumber).map(Number);
    const mean = xs.reduce((s, v) => s + v, 0) / (xs.length || 1);
    const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length || 1)) || 1;
    return { name, mean, std };
  });
  const categorical = chosen.categorical.map((name) => ({ name, values: [...new Set(rows.map((r) => r[name]))].sort() }));
  const model = { positive, numeric, categorical, weights: [], bias: 0 };
  const X = rows.map((r) => features(model, r));
  const y = rows.map((r) => (r[target] === positive ? 1 : 0));
  const w = new Array(X[0]?.length ?? 0).fill(0);
  let b = 0;
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    const grad = new Array(w.length).fill(0);
    let gb = 0;
    X.forEach((x, i) => {
      const err = sigmoid(x.reduce((s, xi, j) => s + xi * w[j], b)) - y[i];
      x.forEach((xi, j) => (grad[j] += err * xi));
      gb += err;
    });
    w.forEach((wj, j) => (w[j] = wj - p.learningRate * (grad[j] / X.length + p.l2 * wj)));
    b -= (p.learningRate * gb) / X.length;
  }
  return { ...model, weights: w, bias: b };
}

/** Area under the ROC curve by the rank-sum formula, ties averaged. */
function auc(scores, labels) {
  const idx = scores.map((s, i) => [s, labels[i]]).sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j < idx.length && idx[j][0] === idx[i][0]) j++;
    for (let k = i; k < j; k++) {
      if (idx[k][1] === 1) {
        rankSum += (i + j + 1) / 2;
        pos++;
      }
    }
    i = j;
  }
  const neg = idx.length - pos;
  return pos === 0 || neg === 0 ? 0.5 : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function scoreMetrics(scores, labels) {
  const eps = 1e-12;
  const n = labels.length;
  const accuracy = labels.filter((y, i) => (scores[i] >= 0.5 ? 1 : 0) === y).length / n;
  const logloss = -labels.reduce((s, y, i) => s + (y ? Math.log(scores[i] + eps) : Math.log(1 - scores[i] + eps)), 0) / n;
  return { auc: auc(scores, labels), accuracy, logloss, rows: n };
}
