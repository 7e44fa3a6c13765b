import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderBacktest } from '../../src/report/backtest-report.js';
import type { BacktestResult, BacktestRow } from '../../src/workflows/backtest.js';

const row = (i: number, retrain: boolean): BacktestRow => ({
  partition: i,
  file: `part-${i}.csv`,
  at: new Date(Date.UTC(2000, i, 1)).toISOString(),
  retrain,
  reason: retrain ? '<script>alert(1)</script> drift </svg>' : 'no rule fired',
  rules: [{ rule: 'data_drift', fired: retrain, measured: 0.6, threshold: 0.5, detail: 'x' }],
  breaches: 0,
  productionVersion: 1,
  evidence: { dataUnchanged: false, paramsUnchanged: true, production: { version: 1, createdAt: '2000-01-01T00:00:00.000Z' }, drift: { datasetDrift: retrain, driftedShare: retrain ? 0.6 : 0.1, datasetShareThreshold: 0.5, driftedColumns: [] }, predictionDrift: null, performance: null, newRows: 0 },
  metric: { policy: 0.8 - i / 100, never: 0.8 - i / 50, every: 0.8 },
});

test('the backtest page escapes every string from the data and draws the three strategies', () => {
  const rows = [row(1, false), row(2, true), row(3, false)];
  const summary = { retrains: 1, trainingMs: 1200, meanMetric: 0.78 };
  const result: BacktestResult = { model: 'churn', partitions: [], rows, retrains: 1, metric: { name: 'auc', direction: 'maximize', policy: summary, never: { ...summary, retrains: 0 }, every: { ...summary, retrains: 3 }, initialTrainingMs: 400 } };
  const html = renderBacktest(result);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; drift &lt;\/svg&gt;/);
  assert.equal((html.match(/<svg/g) ?? []).length, 4, 'three metric lines and the drift bars');
  assert.match(html, /retrain every partition/);
});
