/**
 * The example evaluation command: scores the model in RETRAIN_MODEL_DIR on RETRAIN_DATA and
 * writes metrics.json and per-example predictions.csv to RETRAIN_OUTPUT. With RETRAIN_MODE=score
 * (the check's label-free performance estimate) it writes only predictions.csv: row, score, prediction.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCsv } from './csv.js';
import { predict, scoreMetrics, type ChurnModel } from './model.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run me through the retrain pipeline)`);
  return v;
};

const model = JSON.parse(readFileSync(path.join(env('RETRAIN_MODEL_DIR'), 'model.json'), 'utf8')) as ChurnModel;
const rows = readCsv(env('RETRAIN_DATA'));
const scores = rows.map((r) => predict(model, r));
const out = env('RETRAIN_OUTPUT');
if (process.env.RETRAIN_MODE === 'score') {
  // Score-only mode: the data may have no label column (labels arrive later), so write no metrics, no label.
  const lines = scores.map((s, i) => `${i},${s.toFixed(6)},${s >= 0.5 ? 1 : 0}`);
  writeFileSync(path.join(out, 'predictions.csv'), `row,score,prediction\n${lines.join('\n')}\n`);
} else {
  const target = env('RETRAIN_TARGET');
  const labels = rows.map((r) => Number(r[target]));
  writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(scoreMetrics(scores, labels)));
  const lines = scores.map((s, i) => `${i},${labels[i]},${s.toFixed(6)},${s >= 0.5 ? 1 : 0}`);
  writeFileSync(path.join(out, 'predictions.csv'), `row,label,score,prediction\n${lines.join('\n')}\n`);
}
