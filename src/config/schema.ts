import { z } from 'zod';

/** A duration as Temporal and people write it: 500ms, 30s, 10m, 2h, 7d. */
export const duration = z
  .string()
  .regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration such as 30s, 10m, 2h or 7d');

const positive = z.number().positive();
const ratio = z.number().min(0).max(1);

export const retrySchema = z.strictObject({
  maximumAttempts: z.number().int().min(1).default(3).describe('1 means no retry'),
  initialInterval: duration.default('1s'),
  backoffCoefficient: z.number().min(1).default(2),
  maximumInterval: duration.default('1m'),
});

export const stepSchema = z.strictObject({
  timeout: duration.describe('start-to-close timeout of one attempt'),
  heartbeatTimeout: duration.optional().describe('long steps only: how soon a dead worker is noticed'),
  retry: retrySchema.prefault({}),
});

const step = (timeout: string, extra: Partial<{ heartbeatTimeout: string; maximumAttempts: number }> = {}) =>
  stepSchema.prefault({
    timeout,
    ...(extra.heartbeatTimeout ? { heartbeatTimeout: extra.heartbeatTimeout } : {}),
    retry: { maximumAttempts: extra.maximumAttempts ?? 3 },
  });

export const stepsSchema = z
  .strictObject({
    check: step('10m'),
    validate: step('10m'),
    train: step('2h', { heartbeatTimeout: '30s', maximumAttempts: 2 }),
    evaluate: step('30m', { heartbeatTimeout: '30s' }),
    register: step('2m', { maximumAttempts: 5 }),
    promote: step('2m', { maximumAttempts: 5 }),
  })
  .prefault({});

export const commandSchema = z.strictObject({
  command: z
    .array(z.string().min(1))
    .min(1)
    .describe('argument array, run without a shell; tokens may use {data}, {output}, {model_dir}, {run_id}'),
  workdir: z.string().default('.').describe('working directory, relative to the config file'),
  env: z.record(z.string(), z.string()).default({}),
});

export const trainSchema = commandSchema.extend({
  params: z.record(z.string(), z.unknown()).default({}).describe('passed to the command as JSON'),
});

export const columnRuleSchema = z.strictObject({
  type: z.enum(['numeric', 'integer', 'string', 'boolean', 'timestamp']).optional(),
  required: z.boolean().default(true),
  maxNullRatio: ratio.optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  allowed: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
  severity: z.enum(['error', 'warn']).default('error'),
});

export const validationSchema = z
  .strictObject({
    minRows: z.number().int().min(0).default(1),
    maxRows: z.number().int().positive().optional(),
    maxNullRatio: ratio.optional().describe('default for every column'),
    columns: z.record(z.string(), columnRuleSchema).default({}),
    uniqueKey: z.array(z.string()).optional(),
    classBalance: z.strictObject({ min: ratio, max: ratio.optional() }).optional(),
    freshness: z.strictObject({ column: z.string(), maxAge: duration }).optional(),
  })
  .prefault({});

export const driftTestName = z.enum(['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare', 'ztest', 'linf']);

export const driftSchema = z
  .strictObject({
    columns: z.array(z.string()).optional().describe('columns to test; default: all features'),
    datasetShare: ratio.default(0.5).describe('dataset drift when this share of columns drifted'),
    smallReferenceRows: z.number().int().positive().default(1000),
    overrides: z
      .record(z.string(), z.strictObject({ test: driftTestName.optional(), threshold: positive.optional() }))
      .default({}),
    predictionColumn: z.string().optional(),
  })
  .prefault({});

export const promotionSchema = z.strictObject({
  metric: z.string().min(1),
  direction: z.enum(['maximize', 'minimize']).default('maximize'),
  floor: z.number().optional().describe('absolute bar every candidate must clear'),
  minImprovement: z.number().min(0).default(0).describe('absolute improvement over production'),
  minRelativeImprovement: z.number().min(0).default(0).describe('e.g. 0.01 = 1% better than production'),
});

export const dataSchema = z.strictObject({
  current: z.string().min(1).describe('the data a retrain trains on (file or glob)'),
  evaluation: z.string().min(1).describe('held-out labelled data both models are scored on'),
  reference: z.string().optional().describe('default: the data the production model was trained on'),
  target: z.string().min(1),
  format: z.enum(['auto', 'csv', 'parquet', 'json']).default('auto'),
});
