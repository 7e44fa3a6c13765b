/**
 * Every workflow id, schedule id and the default task-queue name, in a module with no imports, so
 * workflow code (the pipeline signals its controller) and clients share one definition.
 * Naming, one meaning per name across src/:
 * - `pipelineId`: a pipeline run's workflow id (`retrain/churn/2026-…`, pipelineWorkflowId); it names
 *   the run's folder and is the `run_id` of training and deploy commands.
 * - `temporalRunId`: Temporal's UUID for one execution of a workflow id.
 * - `recordId`: the registry's key for the write that made a version or moved an alias (a pipeline id,
 *   or a production move's id), so a retried write is recognised; a version itself is model + number.
 * - `mlflowRunId`: MLflow's own run id, inside the MLflow backends only.
 */

/** The orchestration queue: workflows and quick activities (RETRAIN_TASK_QUEUE overrides it; see task-queues.ts). */
export const DEFAULT_TASK_QUEUE = 'retrain';

/** `retrain-controller/churn`: one per model, so Temporal itself guarantees a single controller. */
export const controllerWorkflowId = (model: string) => `retrain-controller/${model}`;

/** `retrain/churn/2026-03-15T02:00:00.000Z`: what the run is, readable in the Web UI. */
export function pipelineWorkflowId(model: string, at: Date): string {
  return `retrain/${model}/${at.toISOString()}`;
}

/**
 * `retrain-check/churn/2026-03-15T02:00:00.000Z`: a check the controller decided itself (a skip on
 * cheap evidence, see quick-skip.ts); not a workflow: it names the check's audit record, and the
 * check is in the controller's history.
 */
export function quickCheckId(model: string, at: Date): string {
  return `retrain-check/${model}/${at.toISOString()}`;
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

/** `backtest/churn/2026-03-15T02-00-00-000Z-1a2b3c4d`: one `retrain backtest`; the suffix keeps two started at once apart. */
export const backtestWorkflowId = (model: string, at: Date, suffix: string) => `backtest/${model}/${at.toISOString().replace(/[:.]/g, '-')}-${suffix}`;

/**
 * `retrain-fleet/retrain`: the training-slot semaphore of the workers on one task queue (one
 * deployment), so fleets of separate deployments sharing a namespace never block each other.
 */
export const fleetWorkflowId = (taskQueue: string) => `retrain-fleet/${taskQueue}`;
