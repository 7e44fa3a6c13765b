import { z } from 'zod';
import { DRIFT_VALUE_BUDGET } from '../data/drift/budget.js';

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
    // The check beats every 5 s (hashing, drift, scoring): a dead worker is noticed in a minute, not ten.
    check: step('10m', { heartbeatTimeout: '1m' }),
    // The snapshot beats as it copies and the validation every 5 s: a dead worker is noticed in a minute, not ten.
    validate: step('10m', { heartbeatTimeout: '1m' }),
    train: step('2h', { heartbeatTimeout: '30s', maximumAttempts: 2 }),
    evaluate: step('30m', { heartbeatTimeout: '30s' }),
    register: step('2m', { maximumAttempts: 5 }),
    promote: step('2m', { maximumAttempts: 5 }),
    // Unset, these two keep the settings they borrowed before they had their own (activity-options.ts).
    deploy: stepSchema.optional().describe("the deploy hook (promotion.deploy); unset: the promote step's settings"),
    score: stepSchema.optional().describe("the watch window's scoring of production; unset: the evaluate step's settings"),
  })
  .prefault({});

/** A Python virtual environment (or conda env) whose bin/ goes first on the command's PATH. */
const venvPath = z.string().min(1).describe('virtualenv folder, relative to the config file: its bin/ is put first on PATH and VIRTUAL_ENV is set');

export const commandSchema = z.strictObject({
  command: z
    .array(z.string().min(1))
    .min(1)
    .describe('argument array, run without a shell; tokens may use {data}, {output}, {model_dir}, {run_id}'),
  workdir: z.string().default('.').describe('working directory, relative to the config file'),
  env: z.record(z.string(), z.string()).default({}),
  passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).default([]).describe('worker environment variables the command also gets, by name'),
  venv: venvPath.optional(),
});

/** A DVC stage or `path/to/dvc.yaml:stage`: never an option (`-…`), never a shell word. */
const dvcStageName = z
  .string()
  .min(1)
  .max(250)
  .regex(/^[A-Za-z0-9_.][A-Za-z0-9_./@:-]*$/, 'a DVC stage name, or path/to/dvc.yaml:stage (letters, digits, _ . / @ : -)');

export const dvcTrainSchema = z.strictObject({
  stage: dvcStageName.describe('`dvc repro <stage>` trains, in an isolated git worktree at the recorded commit'),
  model: z
    .string()
    .min(1)
    .max(500)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a path relative to the dvc.yaml folder')
    .optional()
    .describe("the stage out holding the model; default: the stage's only out that is not a metrics or plots file"),
  push: z.boolean().default(false).describe('after promotion, `dvc push` the model out and record where it went'),
  remote: z.string().min(1).max(200).regex(/^[A-Za-z0-9_.-]+$/, 'a DVC remote name').optional().describe('default: the repository\'s default remote'),
});

export const trainSchema = commandSchema.extend({
  command: commandSchema.shape.command.optional(),
  dvc: dvcTrainSchema.optional(),
  params: z.record(z.string(), z.unknown()).default({}).describe('passed to the command as JSON; with train.dvc, written into params.yaml'),
  inputs: z
    .array(z.string().min(1).max(500).refine((g) => !g.startsWith('/') && !g.split('/').includes('..'), 'a glob relative to the config file, inside its folder'))
    .max(50)
    .default([])
    .describe('globs (relative to the config) of files that decide the result; a change retrains'),
}).superRefine((t, ctx) => {
  if (Boolean(t.command) === Boolean(t.dvc)) {
    ctx.addIssue({ code: 'custom', message: `set exactly one of train.command (a training command) or train.dvc (a DVC stage), got ${t.command ? 'both' : 'neither'}` });
  }
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
    allowNonFinite: z.boolean().default(false).describe('accept NaN and ±Infinity in floating-point columns'),
    newColumns: z
      .enum(['allow', 'warn', 'error'])
      .default('warn')
      .describe('columns the production model was not trained with (missing or retyped ones are always errors)'),
  })
  .prefault({});

export const driftTestName = z.enum(['ks', 'wasserstein', 'psi', 'jensenshannon', 'chisquare', 'ztest', 'linf']);

/** drift.segments[]: per-segment drift and the "segment missing from current data" validation. */
export const segmentSchema = z.strictObject({
  column: z.string().min(1).max(500).describe('the segment column, e.g. region'),
  minRows: z.number().int().min(1).max(1_000_000_000).default(500).describe('a value is a segment with at least this many rows on both sides'),
  top: z.number().int().min(1).max(100).default(20).describe('test at most this many segments, the largest'),
  missingShare: ratio
    .default(0.1)
    .describe('validation: a reference segment (>= minRows) is missing when its current rows are below this share of the rows its reference share predicts'),
  missing: z.enum(['error', 'warn', 'off']).default('error').describe('severity of the missing-segment validation violation'),
});

export const driftSchema = z
  .strictObject({
    columns: z.array(z.string()).optional().describe('columns to test; default: all features'),
    datasetShare: ratio.default(0.5).describe('dataset drift when this share of columns drifted'),
    smallReferenceRows: z.number().int().positive().default(1000),
    exact: z.boolean().default(false).describe('never sample: sort every value, however large the data'),
    sortedReferenceMiB: z
      .number()
      .int()
      .min(0)
      .max(1_048_576)
      .default(4096)
      .describe('disk (MiB) for the reference side kept sorted between exact drift checks (state folder); 0: sort it every time'),
    valueBudget: z
      .number()
      .int()
      .positive()
      .default(DRIFT_VALUE_BUDGET)
      .describe('numeric values per side (columns × rows) above which numeric drift is computed on a row sample'),
    overrides: z
      .record(z.string(), z.strictObject({ test: driftTestName.optional(), threshold: positive.optional() }))
      .default({}),
    predictionColumn: z.string().optional(),
    exclude: z.array(z.string()).default([]).describe('columns never drift-tested (besides the target and the prediction column)'),
    testIdColumns: z.boolean().default(false).describe('also test row identifiers (uniqueKey columns and all-distinct integer or string columns)'),
    segments: z
      .array(segmentSchema)
      .max(10)
      .default([])
      .superRefine((list, ctx) => {
        // A column listed twice would be tested, reported and carried in history twice, under two sets of limits.
        list.forEach((s, i) => {
          if (list.findIndex((o) => o.column === s.column) < i) ctx.addIssue({ code: 'custom', path: [i, 'column'], message: `${JSON.stringify(s.column.slice(0, 100))} is listed twice; give each segment column once` });
        });
      })
      .describe('drift per value of these columns (e.g. region); see "Drift per segment"'),
  })
  .prefault({});

const guardSchema = z.strictObject({
  direction: z.enum(['maximize', 'minimize']).default('maximize'),
  maxRegression: z.number().min(0).describe('how much worse than production this metric may get'),
});

export const significanceSchema = z.strictObject({
  test: z.enum(['bootstrap', 'mcnemar']).default('bootstrap').describe('paired test on the same evaluation rows'),
  level: z.number().gt(0).lt(0.5).default(0.05).describe('0.05 = a 95% confidence interval'),
  require: z
    .enum(['better', 'not_worse'])
    .default('better')
    .describe('better: the improvement must be significant; not_worse: significantly worse is refused'),
  margin: z.number().min(0).default(0).describe('not_worse: a loss up to this much still counts as equal'),
  resamples: z.number().int().min(100).max(100_000).default(2000),
  seed: z.number().int().default(42).describe('bootstrap seed: the same inputs give the same decision'),
});

export const approvalSchema = z.strictObject({
  timeout: duration.default('24h').describe('how long a candidate waits for approve/reject'),
  onTimeout: z
    .enum(['reject', 'approve', 'escalate'])
    .default('reject')
    .describe('escalate: notify again and keep waiting another timeout'),
});

export const watchSchema = z.strictObject({
  duration: duration.describe('how long after promotion the new model is watched'),
  every: duration.default('1h').describe('re-score production on the evaluation data this often'),
  maxRelativeDrop: ratio.default(0.05).describe('roll back when the metric falls this share below its promoted value'),
});

export const promotionSchema = z.strictObject({
  metric: z.string().min(1),
  direction: z.enum(['maximize', 'minimize']).default('maximize'),
  floor: z.number().optional().describe('absolute bar every candidate must clear'),
  minImprovement: z.number().min(0).default(0).describe('absolute improvement over production'),
  minRelativeImprovement: z.number().min(0).default(0).describe('e.g. 0.01 = 1% better than production'),
  guards: z.record(z.string(), guardSchema).default({}).describe('metrics that may not regress beyond maxRegression'),
  significance: significanceSchema.optional().describe('needs predictions.csv from the evaluation command'),
  approval: approvalSchema.optional().describe('wait for a person to approve the exact candidate version'),
  deploy: z
    .strictObject({
      command: z.array(z.string().min(1)).min(1).describe('run after the alias moves; failure moves it back'),
      workdir: z.string().default('.'),
      env: z.record(z.string(), z.string()).default({}),
      passEnv: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')).default([]),
      venv: venvPath.optional(),
    })
    .optional(),
  watch: watchSchema.optional().describe('after promotion: re-check and roll back automatically on a breach'),
});

export const NOTIFY_EVENTS = [
  'trigger_fired',
  'run_skipped',
  'validation_failed',
  'candidate_rejected',
  'approval_requested',
  'model_promoted',
  'rolled_back',
  'run_failed',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const notifySchema = z.strictObject({
  kind: z.enum(['slack', 'json']).default('json').describe('slack: incoming-webhook text; json: the event as JSON'),
  urlEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable that holds the URL')
    .describe('environment variable holding the webhook URL (a secret: never in config or history)'),
  events: z
    .array(z.enum(NOTIFY_EVENTS))
    .default(NOTIFY_EVENTS.filter((e) => e !== 'run_skipped'))
    .describe('which events to send'),
});

export const registrySchema = z
  .strictObject({
    backend: z.enum(['local', 'mlflow']).default('local'),
    alias: z.string().regex(/^[A-Za-z0-9_-]+$/).default('champion').describe('the alias that marks the production version'),
    mlflow: z
      .strictObject({
        trackingUri: z.string().url().optional().describe('default: $MLFLOW_TRACKING_URI'),
        tokenEnv: z.string().default('MLFLOW_TRACKING_TOKEN').describe('environment variable with a bearer token, if any'),
      })
      .prefault({}),
  })
  .prefault({});

export const dataSchema = z.strictObject({
  current: z.string().min(1).describe('the data a retrain trains on (file or glob)'),
  evaluation: z.string().min(1).describe('held-out labelled data both models are scored on'),
  reference: z.string().optional().describe('default: the data the production model was trained on'),
  target: z.string().min(1),
  format: z.enum(['auto', 'csv', 'parquet', 'json']).default('auto'),
  dvc: z
    .strictObject({
      refresh: z
        .enum(['none', 'pull', 'repro'])
        .default('none')
        .describe('when current is a dvc.lock stage out, bring it up to date before the check: dvc pull, or dvc repro --pull, in an isolated worktree'),
    })
    .optional(),
});
