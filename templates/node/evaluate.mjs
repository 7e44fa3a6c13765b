// Evaluation command (temporal-retrain contract): scores the model in RETRAIN_MODEL_DIR on
// RETRAIN_DATA; writes metrics.json and predictions.csv (row, label, score, prediction) to RETRAIN_OUTPUT.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { env, predict, readCsv, scoreMetrics } from './model.mjs';

const model = JSON.parse(readFileSync(path.join(env('RETRAIN_MODEL_DIR'), 'model.json'), 'utf8'));
const target = env('RETRAIN_TARGET');
const rows = readCsv(env('RETRAIN_DATA'));
const scores = rows.map((r) => predict(model, r));
const labels = rows.map((r) => (r[target] === model.positive ? 1 : 0));
writeFileSync(path.join(env('RETRAIN_OUTPUT'), 'metrics.json'), JSON.stringify(scoreMetrics(scores, labels)));
const lines = scores.map((s, i) => `${i},${labels[i]},${s.toFixed(6)},${s >= 0.5 ? 1 : 0}`);
writeFileSync(path.join(env('RETRAIN_OUTPUT'), 'predictions.csv'), `row,label,score,prediction\n${lines.join('\n')}\n`);
