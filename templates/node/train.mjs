// Training command (temporal-retrain contract): reads RETRAIN_DATA, RETRAIN_TARGET and the params
// (RETRAIN_PARAMS_FILE, else RETRAIN_PARAMS); writes the model to RETRAIN_MODEL_DIR and
// metrics.json to RETRAIN_OUTPUT. Exit 75 asks for a retry; any other non-zero exit fails the run.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { env, fit, predict, readCsv, readParams, scoreMetrics } from './model.mjs';

const target = env('RETRAIN_TARGET');
const rows = readCsv(env('RETRAIN_DATA'));
const params = readParams();
console.log(`training on ${rows.length} rows with ${JSON.stringify(params)}`);
const model = fit(rows, target, params);
writeFileSync(path.join(env('RETRAIN_MODEL_DIR'), 'model.json'), JSON.stringify(model));
const metrics = scoreMetrics(rows.map((r) => predict(model, r)), rows.map((r) => (r[target] === model.positive ? 1 : 0)));
writeFileSync(path.join(env('RETRAIN_OUTPUT'), 'metrics.json'), JSON.stringify(metrics));
console.log(`train auc ${metrics.auc.toFixed(4)} (features: ${[...model.numeric.map((f) => f.name), ...model.categorical.map((c) => c.name)].join(', ')})`);
