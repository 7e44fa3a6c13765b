import { getExternalWorkflowHandle, isCancellation, log } from '@temporalio/workflow';
import { runFinishedSignal, type RunFinished } from './messages.js';
import { controllerWorkflowId } from './workflow-ids.js';

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
