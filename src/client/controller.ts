import type { Client } from '@temporalio/client';
import { RetrainModel } from '../temporal/search-attributes.js';
import { taskQueue as defaultTaskQueue } from '../temporal/task-queues.js';
import type { ControllerStatus, retrainController } from '../workflows/retrain-controller.js';
import { statusQuery, triggerSignal } from '../workflows/messages.js';
import type { TriggerRequest } from '../workflows/types.js';
import { controllerWorkflowId } from '../workflows/workflow-ids.js';
import { ConfigError, isWorkflowNotFound } from '../errors.js';
import { TRIGGER_LIMITS, triggerProblem } from '../triggers/trigger-limits.js';

/** `retrain-controller/churn`: one per model, so Temporal itself guarantees a single controller. */
export const controllerId = controllerWorkflowId;

/** Where a trigger went: the controller's workflow id and Temporal's run id of the execution signalled. */
export interface TriggerDelivered {
  controllerId: string;
  temporalRunId: string;
  /** @deprecated since 0.3: the same value as temporalRunId, kept for scripts that read it. */
  runId: string;
}

/**
 * Signal-with-start: delivers the trigger to the model's controller, starting it if it is not
 * running. Safe to call from anywhere (CLI, gateway, schedule tick, tests). A trigger outside
 * TRIGGER_LIMITS (details over 8 KiB as JSON, source or key over 200 characters) is refused
 * with a ConfigError naming the field, before anything reaches Temporal.
 */
export async function sendTrigger(
  client: Client,
  input: { model: string; trigger: TriggerRequest; taskQueue?: string; maxHistoryEvents?: number },
): Promise<TriggerDelivered> {
  // The controller would refuse or cut it anyway; say so here, where the caller can fix it.
  const problem = triggerProblem(input.trigger);
  if (problem) {
    throw new ConfigError(`trigger ${problem.field}: ${problem.message}`, { field: problem.field, limits: TRIGGER_LIMITS });
  }
  const handle = await client.workflow.signalWithStart<typeof retrainController, [TriggerRequest]>('retrainController', {
    workflowId: controllerId(input.model),
    taskQueue: input.taskQueue ?? defaultTaskQueue(),
    args: [{ model: input.model, ...(input.maxHistoryEvents ? { maxHistoryEvents: input.maxHistoryEvents } : {}) }],
    signal: triggerSignal,
    signalArgs: [input.trigger],
    typedSearchAttributes: [{ key: RetrainModel, value: input.model }],
    staticSummary: `retrain controller for ${input.model}`,
  });
  return { controllerId: handle.workflowId, temporalRunId: handle.signaledRunId, runId: handle.signaledRunId };
}

/** The controller's status, or null when no controller runs for the model. */
export async function controllerStatus(client: Client, model: string): Promise<ControllerStatus | null> {
  try {
    return await client.workflow.getHandle(controllerId(model)).query(statusQuery);
  } catch (err) {
    // NOT_FOUND is also the server's answer for an execution that already completed.
    if (isWorkflowNotFound(err)) return null;
    throw err;
  }
}
