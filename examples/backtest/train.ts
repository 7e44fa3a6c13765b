/** The backtest example's training command (contract: RETRAIN_DATA, RETRAIN_TARGET, RETRAIN_MODEL_DIR, RETRAIN_OUTPUT). */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCsv } from '../churn/csv.js';
import { fit, predict, scoreMetrics } from './seasonal.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run me through the retrain pipeline)`);
  return v;
};
const rows = readCsv(env('RETRAIN_DATA'));
const weeks = rows.map((r) => Number(r.week_of_year));
const y = rows.map((r) => Number(r[env('RETRAIN_TARGET')]));
const model = fit(weeks, y);
writeFileSync(path.join(env('RETRAIN_MODEL_DIR'), 'model.json'), JSON.stringify(model));
writeFileSync(path.join(env('RETRAIN_OUTPUT'), 'metrics.json'), JSON.stringify(scoreMetrics(weeks.map((w) => predict(model, w)), y)));
