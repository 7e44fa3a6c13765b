import type { DataEngine } from '../data/engine.js';
import { datasetFiles, describe } from '../data/fingerprint.js';
import type { LoadedConfig } from './load.js';
import { planModel, type ModelPlan } from './plan.js';

/** One thing `config validate` found that `check` would fail on (or silently ignore), naming the field. */
export interface ConfigProblem {
  model: string;
  field: string;
  value: string;
  problem: string;
}

/**
 * What `retrain config validate` checks past the schema, with the same code the check step runs: each model's paths
 * resolve inside `dataRoots` (links resolved), its data files exist, and every column a rule names exists in
 * `data.current` (the target, validation columns, uniqueKey, freshness, drift columns and overrides, the prediction
 * column). A rule for a missing column would otherwise pass unnoticed or fail at the first run.
 */
export async function deepCheck(engine: DataEngine, config: LoadedConfig): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const model of Object.keys(config.models)) {
    let plan: ModelPlan;
    try {
      plan = planModel(config, model);
    } catch (err) {
      problems.push({ model, field: `models.${model}.data`, value: '', problem: (err as Error).message });
      continue;
    }
    const add = (field: string, value: string, problem: string) => problems.push({ model, field: `models.${model}.${field}`, value, problem });
    let columns: Set<string> | undefined;
    for (const [field, location] of [['data.current', plan.data.current], ['data.evaluation', plan.data.evaluation], ...(plan.data.reference ? [['data.reference', plan.data.reference]] : [])] as const) {
      try {
        await datasetFiles(engine, location, plan.dataRoots);
        if (field === 'data.current') columns = new Set((await describe(engine, location, plan.data.format)).map((c) => c.name));
      } catch (err) {
        add(field, location, (err as Error).message.replace(`${location}: `, ''));
      }
    }
    if (!columns) continue;
    const named: [string, string][] = [
      ['data.target', plan.data.target],
      ...Object.keys(plan.validation.columns).map((c) => [`validation.columns.${c}`, c] as [string, string]),
      ...(plan.validation.uniqueKey ?? []).map((c) => ['validation.uniqueKey', c] as [string, string]),
      ...(plan.validation.freshness ? [['validation.freshness.column', plan.validation.freshness.column] as [string, string]] : []),
      ...(plan.drift.columns ?? []).map((c) => ['drift.columns', c] as [string, string]),
      ...Object.keys(plan.drift.overrides).map((c) => [`drift.overrides.${c}`, c] as [string, string]),
      ...(plan.drift.predictionColumn ? [['drift.predictionColumn', plan.drift.predictionColumn] as [string, string]] : []),
      ...plan.trigger.driftColumns.map((c) => ['trigger.driftColumns', c] as [string, string]),
    ];
    for (const [field, column] of named) {
      // A column rule with required: false may name a column that comes and goes.
      if (field.startsWith('validation.columns.') && plan.validation.columns[column]?.required === false) continue;
      if (!columns.has(column)) add(field, column, `no column "${column}" in ${plan.data.current} (columns: ${[...columns].slice(0, 20).join(', ')}${columns.size > 20 ? ', …' : ''})`);
    }
  }
  return problems;
}
