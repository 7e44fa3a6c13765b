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

/** `metrics.json`: a flat object of finite numbers. The one Metrics type (policies, workflows and reports use it). */
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

/** lineage.json bounds: it travels in registry metadata, audit records and MLflow tags. */
export const LINEAGE_LIMITS = { maxBytes: 16 * 1024, maxTags: 50, maxKey: 100, maxValue: 1000 } as const;
export const LINEAGE_FILE = 'lineage.json';

/**
 * The trainer's optional lineage.json (next to metrics.json): a flat object of string tags, such
 * as a feature-store snapshot id or the upstream job that built the data. Absent → null. Anything
 * else fails the step as metrics.json does: a tag quietly dropped would make the lineage lie.
 */
export async function readLineageTags(dir: string, who: string): Promise<Record<string, string> | null> {
  const file = path.join(dir, LINEAGE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RetrainError(FailureType.Contract, `${who}: cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const fail = (why: string, field?: string) => new RetrainError(FailureType.Contract, `${file}: ${why}`, { file, ...(field !== undefined ? { field } : {}) });
  if (Buffer.byteLength(text) > LINEAGE_LIMITS.maxBytes) throw fail(`${Buffer.byteLength(text)} bytes, over the ${LINEAGE_LIMITS.maxBytes}-byte limit for lineage tags`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw fail('expected a JSON object of tag name → string');
  const entries = Object.entries(parsed);
  if (entries.length > LINEAGE_LIMITS.maxTags) throw fail(`${entries.length} tags, over the limit of ${LINEAGE_LIMITS.maxTags}`);
  const tags: Record<string, string> = {};
  for (const [key, value] of entries) {
    // MLflow's tag-name alphabet, so each tag can be `lineage.<key>` there as well.
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(key)) throw fail(`tag name ${JSON.stringify(key.slice(0, 120))} must be 1-${LINEAGE_LIMITS.maxKey} of A-Z a-z 0-9 _ . -`, key.slice(0, 120));
    if (typeof value !== 'string') throw fail(`tag "${key}" is ${JSON.stringify(value)?.slice(0, 80)}, expected a string`, key);
    if (value.length > LINEAGE_LIMITS.maxValue) throw fail(`tag "${key}" is ${value.length} characters, over the limit of ${LINEAGE_LIMITS.maxValue}`, key);
    tags[key] = value;
  }
  return tags;
}
