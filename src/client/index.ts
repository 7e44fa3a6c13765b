/**
 * `temporal-retrain/client`: the typed API for upstream systems (a data loader, a monitor, a
 * deploy tool) that talk to the retrain controllers of a Temporal cluster directly.
 *
 *   import { connect, trigger, status, waitForRun } from 'temporal-retrain/client';
 *   const client = await connect();                       // TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS/API key from env
 *   await trigger(client, 'churn', { reason: 'new_data', source: 'dbt', idempotencyKey: 'dbt-run-42' });
 *   const answer = await run(client, { model: 'churn', source: 'deploy-bot', now: true });   // and wait for its outcome

 */
import type { Client } from '@temporalio/client';
import { connectClient, resolveTemporal } from '../temporal/connection.js';
import { controllerId, controllerStatus, sendTrigger } from './controller.js';
import { decideApproval, waitingForApproval, type WaitingRun } from './approvals.js';
import { requestRun, type RunAnswer, type RunRequest } from './pipeline-run.js';
import type { ControllerStatus } from '../workflows/retrain-controller.js';
import type { ApprovalRecord, PipelineResult, TriggerRequest } from '../workflows/types.js';

export type { ApprovalRecord, ControllerStatus, PipelineResult, RunAnswer, RunRequest, TriggerRequest, WaitingRun };
export { controllerId };

/** A client for TEMPORAL_ADDRESS (with TEMPORAL_NAMESPACE, TEMPORAL_TLS*, TEMPORAL_API_KEY), or the local dev server of `stateDir`. */
export async function connect(opts: { stateDir?: string } = {}): Promise<Client> {
  return connectClient(await resolveTemporal({ stateDir: opts.stateDir ?? '.retrain', start: false }));
}

/** Sends a trigger to the model's controller (created on first use); duplicates by idempotencyKey count once. */
export async function trigger(client: Client, model: string, request: Omit<TriggerRequest, 'receivedAt'>, opts: { taskQueue?: string } = {}) {
  return sendTrigger(client, { model, trigger: request, ...(opts.taskQueue ? { taskQueue: opts.taskQueue } : {}) });
}

/** The controller's status (idle, waiting or running; pending triggers; recent runs), or null when none runs. */
export async function status(client: Client, model: string): Promise<ControllerStatus | null> {
  return controllerStatus(client, model);
}

/**
 * Asks the model's controller for a run and waits for the run that answers it (the controller's
 * one-run-at-a-time gate, coalescing and policy apply, as for every caller): `{ state: 'finished', workflowId, result }`.
 */
export async function run(client: Client, request: RunRequest): Promise<RunAnswer> {
  return requestRun(client, request);
}

/** The pipeline run's result, once it finishes (`retrain/<model>/<time>` workflow ids, as status and the audit trail show them). */
export async function waitForRun(client: Client, workflowId: string): Promise<PipelineResult> {
  return client.workflow.getHandle(workflowId).result() as Promise<PipelineResult>;
}

/** Runs of the model waiting for a human decision on a candidate. */
export async function approvals(client: Client, model: string): Promise<WaitingRun[]> {
  return waitingForApproval(client, model);
}

/** Approves a candidate version a run waits on; refused when no run waits on that version. */
export async function approve(client: Client, model: string, version: number, by: { approver: string; comment?: string }): Promise<ApprovalRecord> {
  return (await decideApproval(client, model, 'approve', { version, ...by })).record;
}

/** Rejects a candidate version a run waits on; production stays as it is. */
export async function reject(client: Client, model: string, version: number, by: { approver: string; comment?: string }): Promise<ApprovalRecord> {
  return (await decideApproval(client, model, 'reject', { version, ...by })).record;
}
