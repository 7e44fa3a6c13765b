/**
 * Workflow ids, in a module with no imports so workflow code (the pipeline signals its
 * controller) and clients share one definition.
 */

/** `retrain-controller/churn`: one per model, so Temporal itself guarantees a single controller. */
export const controllerWorkflowId = (model: string) => `retrain-controller/${model}`;

/** `retrain/churn/2026-03-15T02:00:00.000Z`: what the run is, readable in the Web UI. */
export function pipelineWorkflowId(model: string, at: Date): string {
  return `retrain/${model}/${at.toISOString()}`;
}

/** The prefix every pipeline run of a model has (see pipelineWorkflowId). */
export const pipelineWorkflowIdPrefix = (model: string) => `retrain/${model}/`;

/**
 * `retrain-fleet/retrain`: the training-slot semaphore of the workers on one task queue (one
 * deployment), so fleets of separate deployments sharing a namespace never block each other.
 */
export const fleetWorkflowId = (taskQueue: string) => `retrain-fleet/${taskQueue}`;
