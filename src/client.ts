import type { Client, WorkflowHandle } from '@temporalio/client';
import { RetrainModel, RetrainTrigger } from './temporal/search-attributes.js';
import { taskQueue } from './temporal/task-queues.js';
import { pipelineStepQuery, retrainPipeline } from './workflows/index.js';
import type { PipelineResult, TriggerRequest } from './workflows/types.js';

/** `retrain/churn/2026-03-15T02:00:00.000Z`: what the run is, readable in the Web UI. */
export function pipelineWorkflowId(model: string, at: Date): string {
  return `retrain/${model}/${at.toISOString()}`;
}

export async function startPipeline(
  client: Client,
  input: { model: string; triggers: TriggerRequest[]; force?: boolean; taskQueue?: string; at?: Date },
): Promise<WorkflowHandle<typeof retrainPipeline>> {
  const reasons = [...new Set(input.triggers.map((t) => t.reason))];
  return client.workflow.start(retrainPipeline, {
    workflowId: pipelineWorkflowId(input.model, input.at ?? new Date()),
    taskQueue: input.taskQueue ?? taskQueue(),
    args: [{ model: input.model, triggers: input.triggers, ...(input.force ? { force: true } : {}) }],
    typedSearchAttributes: [
      { key: RetrainModel, value: input.model },
      { key: RetrainTrigger, value: reasons },
    ],
    staticSummary: `retrain ${input.model} (${reasons.join(', ')})`,
  });
}

/** Waits for the result, reporting each step as the pipeline enters it. */
export async function waitWithProgress(
  handle: WorkflowHandle<typeof retrainPipeline>,
  onStep: (step: string) => void,
): Promise<PipelineResult> {
  let last = '';
  let done = false;
  const poll = setInterval(() => {
    handle
      .query(pipelineStepQuery)
      .then((step) => {
        // A query answered after the result would report a step the run has already left.
        if (!done && step !== last) onStep((last = step));
      })
      .catch(() => {});
  }, 500);
  try {
    return await handle.result();
  } finally {
    done = true;
    clearInterval(poll);
  }
}
