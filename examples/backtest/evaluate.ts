/** The backtest example's evaluation command: MAE and RMSE of the model in RETRAIN_MODEL_DIR on RETRAIN_DATA. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCsv } from '../churn/csv.js';
import { predict, scoreMetrics, type SeasonalModel } from './seasonal.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run me through the retrain pipeline)`);
  return v;
};
const model = JSON.parse(readFileSync(path.join(env('RETRAIN_MODEL_DIR'), 'model.json'), 'utf8')) as SeasonalModel;
const rows = readCsv(env('RETRAIN_DATA'));
const y = rows.map((r) => Number(r[env('RETRAIN_TARGET')]));
writeFileSync(path.join(env('RETRAIN_OUTPUT'), 'metrics.json'), JSON.stringify(scoreMetrics(rows.map((r) => predict(model, Number(r.week_of_year))), y)));
