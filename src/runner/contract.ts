import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FailureType, RetrainError } from '../errors.js';

/**
 * The training and evaluation contract. Inputs arrive as RETRAIN_* environment variables
 * (and {placeholders} in argv); outputs are files in the output folder.
 */
export const CONTRACT = {
  metricsFile: 'metrics.json',
  modelDir: 'model',
  predictionsFile: 'predictions.csv',
} as const;

export type Metrics = Record<string, number>;

/** metrics.json must be a flat object of finite numbers; anything else breaks the contract. */
export async function readMetrics(outputDir: string, who: string): Promise<Metrics> {
  const file = path.join(outputDir, CONTRACT.metricsFile);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new RetrainError(FailureType.Contract, `${who} did not write a valid ${file}: ${(err as Error).message}`, { file });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RetrainError(FailureType.Contract, `${file}: expected a JSON object of metric name → number`, { file });
  }
  const metrics: Metrics = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RetrainError(FailureType.Contract, `${file}: metric "${name}" is ${JSON.stringify(value)}, expected a finite number`, { file, field: name });
    }
    metrics[name] = value;
  }
  return metrics;
}
