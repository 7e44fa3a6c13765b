import { FailureType } from '../failure-types.js';
import { backtestProgressQuery } from './messages.js';
import { ApplicationFailure, proxyActivities, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { PartitionOrder } from '../backtest/partitions.js';
import { advance, initialState, type Partition } from '../backtest/replay.js';
import type { Evidence, RuleResult } from '../policy/trigger-policy.js';
import { stepOptions } from './activity-options.js';

export interface BacktestInput {
  model: string;
  /** Glob of the partition files (absolute, or relative to the worker's working folder). */
  partitions: string;
  order: PartitionOrder;
  train: boolean;
}

export interface BacktestRow {
  partition: number;
  file: string;
  at: string;
  retrain: boolean;
  reason: string;
  rules: RuleResult[];
  breaches: number;
  /** The replayed production version when this partition arrived (before its decision). */
  productionVersion: number;
  /** The evidence the decision was taken on, so anyone can re-run decideRetrain on it. */
  evidence: Evidence;
  /** With --train: the metric on this partition of the model each strategy had in production when it arrived. */
  metric?: { policy: number; never: number; every: number };
}

export interface StrategySummary {
  retrains: number;
  trainingMs: number;
  meanMetric: number;
}

export interface BacktestResult {
  model: string;
  partitions: Partition[];
  rows: BacktestRow[];
  retrains: number;
  metric?: { name: string; direction: 'maximize' | 'minimize'; policy: StrategySummary; never: StrategySummary; every: StrategySummary; initialTrainingMs: number };
}

export interface BacktestProgress {
  done: number;
  total: number;
  retrains: number;
  last: { partition: number; retrain: boolean; reason: string } | null;
}


const { planRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.Config] },
  summary: 'read the model config',
});

/**
 * Replays the model's check and trigger policy over time-ordered partitions: partition 0 is the
 * initial training data, each next one arrives as "current". Thin: activities compute evidence,
 * train and score; the decisions come from the pure replay (decideRetrain with its memory) at each
 * partition's own time. A crashed worker resumes after the last finished activity.
 */
export async function backtestWorkflow(input: BacktestInput): Promise<BacktestResult> {
  const progress: BacktestProgress = { done: 0, total: 0, retrains: 0, last: null };
  setHandler(backtestProgressQuery, () => progress);
  const id = workflowInfo().workflowId;
  const plan = await planRun({ model: input.model });
  const { backtestPartitions, backtestEvidence } = proxyActivities<Activities>(stepOptions(plan, 'check', 'backtest: partition evidence'));
  const { backtestTrain } = proxyActivities<Activities>(stepOptions(plan, 'train', 'backtest: train on a partition'));
  const { backtestScore } = proxyActivities<Activities>(stepOptions(plan, 'evaluate', 'backtest: score a model on a partition'));

  const partitions = await backtestPartitions({ plan, pattern: input.partitions, order: input.order });
  progress.total = partitions.length - 1;
  setCurrentDetails(`backtest of ${input.model}: ${partitions.length} partitions, starting`);

  // With --train: one model per partition (trained once, reused by every strategy), scores cached by (model, partition).
  const models = new Map<number, { modelDir: string; durationMs: number }>();
  const scores = new Map<string, number>();
  const metricName = plan.promotion.metric;
  const trained = async (k: number) => {
    if (!models.has(k)) models.set(k, await backtestTrain({ plan, backtestId: id, partition: partitions[k]! }));
    return models.get(k)!;
  };
  const score = async (k: number, p: number) => {
    const key = `${k}:${p}`;
    if (!scores.has(key)) {
      const metrics = await backtestScore({ plan, backtestId: id, modelDir: (await trained(k)).modelDir, model: k, on: partitions[p]! });
      const value = metrics[metricName];
      // A plain Error here would fail the workflow task forever; this fails the backtest, typed, naming the field.
      if (value === undefined) throw ApplicationFailure.nonRetryable(`evaluation command reported no "${metricName}" (models.${plan.name}.promotion.metric) for the model of partition ${k} on partition ${p}`, FailureType.Contract);
      scores.set(key, value);
    }
    return scores.get(key)!;
  };

  let state = initialState(partitions[0]!);
  const rows: BacktestRow[] = [];
  for (let p = 1; p < partitions.length; p++) {
    const current = partitions[p]!;
    const serving = state.production.trainedOn;
    let metric: BacktestRow['metric'];
    let performance: { current: number; baseline: number | null } | undefined;
    if (input.train) {
      metric = { policy: await score(serving, p), never: await score(0, p), every: await score(p - 1, p) };
      // Like the check: production on today's data vs the value it had when promoted (its first partition after training).
      performance = { current: metric.policy, baseline: await score(serving, serving + 1) };
    }
    const { evidence } = await backtestEvidence({ plan, backtestId: id, reference: partitions[serving]!, current, production: state.production, ...(performance ? { performance } : {}) });
    const { decision, next } = advance(plan.trigger, state, evidence, current);
    rows.push({
      partition: p, file: current.file, at: current.at, retrain: decision.retrain, reason: decision.reason, rules: decision.rules,
      breaches: decision.breaches, productionVersion: state.production.version, evidence, ...(metric ? { metric } : {}),
    });
    state = next;
    if (decision.retrain) progress.retrains++;
    progress.done = p;
    progress.last = { partition: p, retrain: decision.retrain, reason: decision.reason };
    setCurrentDetails(`partition ${p}/${partitions.length - 1} (${current.at.slice(0, 10)}): **${decision.retrain ? 'retrain' : 'skip'}**, ${decision.reason}; ${progress.retrains} retrain(s) so far`);
  }

  const result: BacktestResult = { model: input.model, partitions, rows, retrains: progress.retrains };
  if (input.train) {
    // Every partition's model is trained once; the training time of a strategy is that of the retrains it makes.
    for (let k = 0; k < partitions.length; k++) await trained(k);
    const ms = (ks: number[]) => ks.reduce((s, k) => s + models.get(k)!.durationMs, 0);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);
    const fired = rows.filter((r) => r.retrain).map((r) => r.partition);
    result.metric = {
      name: metricName,
      direction: plan.promotion.direction,
      initialTrainingMs: models.get(0)!.durationMs,
      policy: { retrains: fired.length, trainingMs: ms(fired), meanMetric: mean(rows.map((r) => r.metric!.policy)) },
      never: { retrains: 0, trainingMs: 0, meanMetric: mean(rows.map((r) => r.metric!.never)) },
      every: { retrains: rows.length, trainingMs: ms(rows.map((r) => r.partition)), meanMetric: mean(rows.map((r) => r.metric!.every)) },
    };
  }
  setCurrentDetails(`backtest of ${input.model} done: ${result.retrains} retrain(s) over ${rows.length} partitions`);
  return result;
}
