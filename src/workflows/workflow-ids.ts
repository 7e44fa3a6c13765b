/**
 * Every workflow id, schedule id and the default task-queue name, in a module with no imports, so
 * workflow code (the pipeline signals its controller) and clients share one definition.
 * Naming: a *workflow id* is ours (`retrain/churn/2026-…`); Temporal's *run id* is the execution's
 * UUID (`runId`); the registry keys a version by model and number, never by either.
 */

/** The orchestration queue: workflows and quick activities (RETRAIN_TASK_QUEUE overrides it; see task-queues.ts). */
export const DEFAULT_TASK_QUEUE = 'retrain';

/** `retrain-controller/churn`: one per model, so Temporal itself guarantees a single controller. */
export const controllerWorkflowId = (model: string) => `retrain-controller/${model}`;

/** `retrain/churn/2026-03-15T02:00:00.000Z`: what the run is, readable in the Web UI. */
export function pipelineWorkflowId(model: string, at: Date): string {
  return `retrain/${model}/${at.toISOString()}`;
}

/** The prefix every pipeline run of a model has (see pipelineWorkflowId). */
export const pipelineWorkflowIdPrefix = (model: string) => `retrain/${model}/`;

/** `retrain-schedule/churn`: the model's Temporal Schedule (`retrain apply`). */
export const SCHEDULE_ID_PREFIX = 'retrain-schedule/';
export const scheduleId = (model: string) => `${SCHEDULE_ID_PREFIX}${model}`;
/** The workflow each schedule tick starts (Temporal appends the tick's time). */
export const scheduledTickWorkflowId = (model: string) => `${scheduleId(model)}/tick`;

/** `retrain-rollback/churn/<ISO time>` or `retrain-promote/…`: one production move by hand. */
export const moveProductionWorkflowId = (kind: 'rollback' | 'promote', model: string, at: Date) => `retrain-${kind}/${model}/${at.toISOString()}`;

/**
 * `retrain-fleet/retrain`: the training-slot semaphore of the workers on one task queue (one
 * deployment), so fleets of separate deployments sharing a namespace never block each other.
 */
export const fleetWorkflowId = (taskQueue: string) => `retrain-fleet/${taskQueue}`;
