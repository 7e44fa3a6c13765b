import type { ActivityOptions } from '@temporalio/workflow';
import type { ModelPlan } from '../config/plan.js';
import type { StepName } from '../config/model-schema.js';
import { FailureType } from '../failure-types.js';
import { NON_RETRYABLE_TYPES } from '../errors.js';

/** Activity options without the summary each proxy names itself with. */
type Profile = Omit<ActivityOptions, 'summary'>;

/**
 * The fixed option sets, named for what they promise. A profile's values are part of what old
 * histories recorded: change one only with a new profile (and `patched()` where it is used).
 */
export const PROFILES = {
  /** Reading the model's config: a config error is final, anything else gets two more tries. */
  readConfig: { startToCloseTimeout: '1m', retry: { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.Config] } },
  /**
   * Compensation and the watch window's restore: production may not stay on a model whose deploy
   * failed or that breached, so it retries without giving up (only a registry error is final).
   */
  mustLand: { startToCloseTimeout: '1m', retry: { maximumInterval: '1m', nonRetryableErrorTypes: [FailureType.Registry] } },
  /** The audit record must not be lost to a brief disk or lock problem, so it retries for a while. */
  auditRecord: { startToCloseTimeout: '30s', retry: { maximumAttempts: 20, maximumInterval: '30s' } },
  /** Webhooks get a few quick tries; a failure is logged and never fails or holds up the run. */
  webhook: { startToCloseTimeout: '15s', scheduleToCloseTimeout: '2m', retry: { maximumAttempts: 4, initialInterval: '2s', backoffCoefficient: 2 } },
} as const satisfies Record<string, Profile>;

export const profile = (name: keyof typeof PROFILES, summary: string): ActivityOptions => ({ ...PROFILES[name], summary });

/**
 * Steps configured on their own since `steps.deploy` and `steps.score` exist; unset (and in plans
 * recorded before), they take the settings they borrowed before: promote's and evaluate's.
 */
const FALLBACK: Partial<Record<StepName, StepName>> = { deploy: 'promote', score: 'evaluate' };

/** The settings a step runs with: its own, or those of the step it falls back to. */
export function stepSettings(plan: ModelPlan, step: StepName) {
  const own = plan.steps[step];
  if (own) return own;
  const fallback = FALLBACK[step];
  const borrowed = fallback ? plan.steps[fallback] : undefined;
  if (!borrowed) throw new Error(`no settings for step ${step}`);
  return borrowed;
}

/** Steps that run on the training queue (taskQueues.training) when one is configured: they run the model's code. */
const ON_TRAINING_QUEUE: readonly StepName[] = ['train', 'evaluate', 'score'];

/** A step's timeouts and retry policy, read from the model's config. */
export function stepOptions(plan: ModelPlan, step: StepName, summary: string): ActivityOptions {
  const s = stepSettings(plan, step);
  const onTrainingQueue = ON_TRAINING_QUEUE.includes(step) && plan.taskQueues.training;
  return {
    startToCloseTimeout: s.timeout,
    ...(s.heartbeatTimeout ? { heartbeatTimeout: s.heartbeatTimeout } : {}),
    ...(onTrainingQueue ? { taskQueue: plan.taskQueues.training } : {}),
    retry: { ...s.retry, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
    summary,
  };
}
