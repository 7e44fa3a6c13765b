import type { ActivityOptions } from '@temporalio/workflow';
import type { ModelPlan } from '../config/plan.js';
import type { StepName } from '../config/model-schema.js';
import { NON_RETRYABLE_TYPES } from '../errors.js';

/** A step's timeouts and retry policy, read from the model's config. */
export function stepOptions(plan: ModelPlan, step: StepName, summary: string): ActivityOptions {
  const s = plan.steps[step];
  const onTrainingQueue = (step === 'train' || step === 'evaluate') && plan.taskQueues.training;
  return {
    startToCloseTimeout: s.timeout,
    ...(s.heartbeatTimeout ? { heartbeatTimeout: s.heartbeatTimeout } : {}),
    ...(onTrainingQueue ? { taskQueue: plan.taskQueues.training } : {}),
    retry: { ...s.retry, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
    summary,
  };
}
