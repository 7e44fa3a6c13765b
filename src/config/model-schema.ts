import { z } from 'zod';
import { TRIGGER_REASONS } from '../policy/trigger-reasons.js';
import { cronProblem } from './cron.js';
import { parseDurationMs } from '../duration.js';
import { METRICS as ESTIMATE_METRICS } from '../data/estimate/realized.js';
import {
  commandSchema,
  dataSchema,
  driftSchema,
  duration,
  notifySchema,
  promotionSchema,
  registrySchema,
  stepsSchema,
  trainSchema,
  validationSchema,
} from './schema.js';

const ratio = z.number().min(0).max(1);

export const triggerPolicySchema = z
  .strictObject({
    quietPeriod: duration.default('30s').describe('wait this long after the last trigger before a run'),
    maxWait: duration.default('10m').describe('never wait longer than this after the first trigger'),
    cooldown: duration.default('0s').describe('no evidence-driven retrain this soon after the last one'),
    consecutiveBreaches: z.number().int().min(1).default(1),
    skipUnchangedData: z.boolean().default(true),
    dataDrift: z.boolean().default(true).describe('fire on dataset-level drift'),
    driftColumns: z.array(z.string()).default([]).describe('fire when any of these columns drifted'),
    predictionDrift: z.boolean().default(false),
    performanceFloor: z.number().optional().describe('fire when the production metric falls below'),
    maxRelativeDrop: ratio.optional().describe('fire when the metric falls this share below its promoted value'),
    minNewRows: z.number().int().min(0).optional().describe('fire when this many rows arrived since training'),
    maxModelAge: duration.optional().describe('fire when the production model is older than this'),
    estimatedDrop: z
      .strictObject({
        metric: z.enum(ESTIMATE_METRICS).default('roc_auc').describe('metric estimated without labels (CBPE)'),
        maxRelativeDrop: ratio.optional().describe("fire when the estimate falls this share below the reference's realised value"),
        floor: ratio.optional().describe('fire when the estimate falls below this value'),
      })
      .refine((e) => e.maxRelativeDrop !== undefined || e.floor !== undefined, { message: 'set maxRelativeDrop, floor or both' })
      .optional()
      .describe('fire on performance estimated without labels (needs the model\'s estimate settings)'),
    segmentDrift: z
      .strictObject({
        column: z.string().min(1).max(500).optional().describe('only segments of this drift.segments column'),
        segments: z.array(z.string().max(200)).min(1).max(100).optional().describe('only these segment values (default: any segment); values are matched as reports show them, cut at 200 characters'),
        minDriftedShare: ratio.optional().describe("fire when a segment's drifted share of columns reaches this (default drift.datasetShare)"),
      })
      .optional()
      .describe('fire when a segment (drift.segments) has dataset-level drift'),
    budget: z
      .strictObject({
        maxRetrains: z.number().int().min(1).max(100).optional().describe('at most this many retrains (candidates trained) per window'),
        per: duration.default('7d').describe('the sliding window the budget counts over'),
        maxTrainingTime: duration.optional().describe('at most this much time in the train step per window'),
      })
      .refine((b) => b.maxRetrains !== undefined || b.maxTrainingTime !== undefined, { message: 'set maxRetrains, maxTrainingTime or both' })
      .optional()
      .describe('a trigger over budget is skipped (forced ones override it)'),
    explicitReasons: z
      .array(z.enum(TRIGGER_REASONS))
      .default(['manual', 'business_change', 'drift_alert', 'performance_alert'])
      .describe('trigger reasons that retrain without consulting the evidence rules'),
  })
  .prefault({});

export const scheduleSchema = z
  .strictObject({
    cron: z
      .string()
      .superRefine((v, ctx) => {
        const problem = cronProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron: ${problem}` });
      })
      .optional(),
    every: duration.optional(),
    timezone: z.string().default('UTC'),
    jitter: duration.optional(),
    catchupWindow: duration.default('1h').describe('run missed slots up to this late (server minimum 10s)'),
    overlap: z.enum(['skip', 'buffer_one', 'buffer_all', 'allow_all']).default('skip').describe('when a tick is still running'),
    paused: z.boolean().default(false),
  })
  .refine((s) => Boolean(s.cron) !== Boolean(s.every), { message: 'set exactly one of cron or every' });

export const modelSchema = z.strictObject({
  description: z.string().optional(),
  data: dataSchema,
  train: trainSchema,
  evaluate: commandSchema,
  validation: validationSchema,
  drift: driftSchema,
  trigger: triggerPolicySchema,
  estimate: z
    .strictObject({
      from: z
        .enum(['columns', 'score'])
        .optional()
        .describe("where the current data's probabilities come from: its own columns (proba, pred; the default), or the evaluation command run in score mode"),
      proba: z.string().min(1).max(500).optional().describe("current data's column with the predicted probability of class 1 (from: columns)"),
      pred: z.string().min(1).max(500).optional().describe("current data's column with the predicted class (default: proba >= threshold)"),
      threshold: z.number().gt(0).lt(1).default(0.5),
      data: z.string().min(1).optional().describe('the unlabelled data to estimate on (file or glob; default: data.current)'),
    })
    .superRefine((e, ctx) => {
      // Each source names its probabilities one way; a column named for the other would be silently ignored.
      if (e.from !== 'score' && e.proba === undefined) ctx.addIssue({ code: 'custom', path: ['proba'], message: 'from: columns needs proba: <column of the current data>' });
      if (e.from === 'score') {
        for (const f of ['proba', 'pred'] as const) {
          if (e[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `from: score reads the evaluation command's predictions.csv (row, score[, prediction]); remove ${f}` });
        }
      }
    })
    .optional()
    .describe('performance estimated without labels (CBPE) for trigger.estimatedDrop'),
  promotion: promotionSchema,
  schedule: scheduleSchema.optional(),
  notify: z.array(notifySchema).default([]).describe('webhooks for this model\'s events'),
  steps: stepsSchema,
  github: z
    .strictObject({
      branch: z.string().min(1).max(250).default('main'),
      paths: z.array(z.string().min(1).max(500)).min(1).describe('globs of repository paths, e.g. data/*.dvc, params.yaml'),
    })
    .optional()
    .describe('a push to this branch touching these paths sends new_data (gateway POST /v1/github)'),
  taskQueues: z
    .strictObject({ training: z.string().optional().describe('queue for train, evaluate and the watch window\'s scoring, e.g. a GPU pool') })
    .prefault({}),
}).superRefine((m, ctx) => {
  // Without the probability column the check cannot estimate, and the rule would silently never fire.
  if (m.trigger.estimatedDrop && !m.estimate) {
    ctx.addIssue({ code: 'custom', path: ['trigger', 'estimatedDrop'], message: "needs the model's estimate: { proba: <column of data.current> } or { from: score }" });
  }
  // Without segments the rule would silently never fire.
  const seg = m.trigger.segmentDrift;
  if (seg && m.drift.segments.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['trigger', 'segmentDrift'], message: 'needs drift.segments: [{ column: <segment column> }]' });
  }
  if (seg?.column !== undefined && m.drift.segments.length > 0 && !m.drift.segments.some((s) => s.column === seg.column)) {
    ctx.addIssue({ code: 'custom', path: ['trigger', 'segmentDrift', 'column'], message: `"${seg.column.slice(0, 100)}" is not a drift.segments column (${m.drift.segments.map((s) => s.column.slice(0, 100)).join(', ')})` });
  }
});

export const modelName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'model names use a-z, 0-9, "-" and "_" (max 63)');

export const configSchema = z.strictObject({
  version: z.literal(1),
  dataRoots: z.array(z.string()).default(['.']).describe('data paths must resolve inside one of these'),
  stateDir: z.string().default('.retrain').describe('registry, audit trail and run folders'),
  registry: registrySchema,
  tracking: z
    .strictObject({
      mlflow: z
        .strictObject({
          trackingUri: z.string().url().optional().describe('default: registry.mlflow.trackingUri, then $MLFLOW_TRACKING_URI'),
          experiment: z.string().min(1).max(500).default('retrain/{model}/decisions').describe('{model} is replaced by the model name'),
          tokenEnv: z.string().default('MLFLOW_TRACKING_TOKEN'),
        })
        .optional()
        .describe('one MLflow run per pipeline decision'),
    })
    .prefault({}),
  audit: z
    .strictObject({
      keepQuickSkips: z
        .string()
        .refine((v) => v === 'forever' || duration.safeParse(v).success, 'expected a duration such as 30d or 12h, or forever')
        // Pruning runs when a skip is recorded: a shorter keep would delete the record just written.
        .refine((v) => v === 'forever' || !duration.safeParse(v).success || parseDurationMs(v) >= 3_600_000, 'at least 1h (or forever)')
        .default('90d')
        .describe("how long the records of checks skipped without a pipeline run (schedule ticks, the controller's quick check) are kept; pipeline runs' records are always kept"),
    })
    .prefault({}),
  fleet: z
    .strictObject({
      maxConcurrentTrainings: z.number().int().min(1).max(1000).describe('at most this many train steps at once across all models (e.g. the GPUs)'),
    })
    .optional()
    .describe('fleet-wide limits; models wait in a durable FIFO queue for a training slot'),
  models: z.record(modelName, modelSchema).refine((m) => Object.keys(m).length > 0, 'define at least one model'),
});

export type RetrainConfigInput = z.input<typeof configSchema>;
export type RetrainConfigParsed = z.output<typeof configSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type StepName = keyof ModelConfig['steps'];
export type TriggerPolicyConfig = z.output<typeof triggerPolicySchema>;
export type PromotionPolicyConfig = ModelConfig['promotion'];
export type ValidationConfig = ModelConfig['validation'];
export type DriftConfig = ModelConfig['drift'];
export type RegistryConfig = z.output<typeof registrySchema>;
export type TrackingConfig = RetrainConfigParsed['tracking'];
export type FleetConfig = NonNullable<RetrainConfigParsed['fleet']>;
export type AuditConfig = RetrainConfigParsed['audit'];
