import { defineSignal, getExternalWorkflowHandle, isCancellation, log } from '@temporalio/workflow';
import type { PipelineOutcome, PipelineResult } from './types.js';
import { controllerWorkflowId } from './workflow-ids.js';

/**
 * What a pipeline run tells its controller when it ends, and what the controller learns about a
 * run it no longer awaits as a child (after continue-as-new, or adopted after a restart). Small
 * and bounded: it travels as a signal and is carried into the run summary.
 */
export interface RunFinished {
  workflowId: string;
  outcome: PipelineOutcome;
  /** At most RUN_FINISHED_REASON_CHARS characters. */
  reason: string;
  version: number | null;
  /** The trigger policy's consecutive-breach count, when the check step ran. */
  breaches: number | null;
  /** Time spent in the train step, when the run reached it; what trigger.budget.maxTrainingTime counts. */
  trainingMs?: number;
}

export const RUN_FINISHED_REASON_CHARS = 1000;

export const runFinishedSignal = defineSignal<[RunFinished]>('runFinished');

export function runFinished(workflowId: string, result: PipelineResult): RunFinished {
  return {
    workflowId,
    outcome: result.outcome,
    reason: result.reason.slice(0, RUN_FINISHED_REASON_CHARS),
    version: 'version' in result ? result.version : null,
    breaches: result.decision?.breaches ?? null,
    ...(result.trainingMs !== undefined ? { trainingMs: result.trainingMs } : {}),
  };
}

/**
 * Signals the model's controller by workflow id only, so it reaches its latest run (the one that
 * continued-as-new, or one started after a terminate). A controller that is gone must not fail
 * the pipeline: the result is in the pipeline's own history and the audit trail either way.
 */
export async function reportToController(model: string, report: RunFinished): Promise<void> {
  try {
    await getExternalWorkflowHandle(controllerWorkflowId(model)).signal(runFinishedSignal, report);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('controller not told that the run finished', { model, workflowId: report.workflowId, error: String(err) });
  }
}
