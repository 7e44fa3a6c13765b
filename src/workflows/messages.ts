/**
 * Every signal, query and update of the workflows, and the payloads only they carry: the one module clients (CLI,
 * gateway, activities) import to talk to a running workflow. It defines messages and nothing else — no proxies, no
 * workflow functions — so importing it never loads workflow code outside the sandbox. Workflows are started by name
 * (`'retrainController'`) with `import type` of the function for its argument types.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BacktestProgress } from './backtest.js';
import type { FleetRequest, FleetStatus } from './retrain-fleet.js';
import type { ControllerStatus, RequestStatus } from './retrain-controller.js';
import type { ApprovalInput, ApprovalRecord, PipelineOutcome, PipelineResult, PipelineStep, TriggerRequest } from './types.js';

// The model controller (retrain-controller.ts).
export const triggerSignal = defineSignal<[TriggerRequest]>('trigger');
export const statusQuery = defineQuery<ControllerStatus>('status');
/** Which run answers the trigger sent with this requestId (see `requestRun` in src/client/pipeline-run.ts). */
export const runForQuery = defineQuery<RequestStatus, [string]>('runFor');

// The pipeline (retrain-pipeline.ts).
export const pipelineStepQuery = defineQuery<PipelineStep>('step');

// The training-slot semaphore (retrain-fleet.ts; fleet-slot.ts is the pipeline's side).
export const acquireSignal = defineSignal<[FleetRequest]>('acquire');
export const releaseSignal = defineSignal<[{ workflowId: string }]>('release');
/** Sent by the fleet to the pipeline it grants a slot to. */
export const fleetGrantSignal = defineSignal<[{ fleetId: string }]>('fleetGrant');
export const fleetQuery = defineQuery<FleetStatus>('fleet');

// The policy backtest (backtest.ts).
export const backtestProgressQuery = defineQuery<BacktestProgress>('backtestProgress');

// The approval gate inside the pipeline (approval-gate.ts).
/** What a pipeline waiting for approval is waiting on; null when it is not waiting. */
export interface PendingApproval {
  model: string;
  version: number;
  reason: string;
  metrics: Record<string, number>;
  production: Record<string, number> | null;
  since: string;
  deadline: string;
}
export const pendingApprovalQuery = defineQuery<PendingApproval | null>('pendingApproval');
export const approveUpdate = defineUpdate<ApprovalRecord, [ApprovalInput]>('approve');
export const rejectUpdate = defineUpdate<ApprovalRecord, [ApprovalInput]>('reject');

// A pipeline run telling its controller that it ended (run-finished.ts sends it).
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
