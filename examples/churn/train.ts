/**
 * The example training command. It follows the contract any trainer follows:
 * inputs RETRAIN_DATA, RETRAIN_TARGET, RETRAIN_PARAMS_FILE (JSON; RETRAIN_PARAMS holds the same JSON when it is
 * small), RETRAIN_MODEL_DIR, RETRAIN_OUTPUT;
 * outputs the model under RETRAIN_MODEL_DIR and metrics.json under RETRAIN_OUTPUT.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCsv } from './csv.js';
import { fit, predict, scoreMetrics, type TrainParams } from './model.js';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run me through the retrain pipeline)`);
  return v;
};

/** The file is always there; RETRAIN_PARAMS is left out when the params are too large for the environment. */
function paramsJson(): string {
  const file = process.env.RETRAIN_PARAMS_FILE;
  return file ? readFileSync(file, 'utf8') : env('RETRAIN_PARAMS');
}

const params: TrainParams = { learningRate: 0.5, epochs: 300, l2: 0.001, ...JSON.parse(paramsJson()) };
const target = env('RETRAIN_TARGET');

const rows = readCsv(env('RETRAIN_DATA'));
console.log(`training on ${rows.length} rows with ${JSON.stringify(params)}`);
const model = fit(rows, target, params);
writeFileSync(path.join(env('RETRAIN_MODEL_DIR'), 'model.json'), JSON.stringify(model));
const metrics = scoreMetrics(rows.map((r) => predict(model, r)), rows.map((r) => Number(r[target])));
writeFileSync(path.join(env('RETRAIN_OUTPUT'), 'metrics.json'), JSON.stringify(metrics));
console.log(`train auc ${metrics.auc.toFixed(4)}`);
