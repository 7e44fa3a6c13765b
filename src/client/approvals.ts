import type { Client } from '@temporalio/client';
import { ApprovalNotFound } from '../errors.js';
import { controllerStatus } from './controller.js';
import { approveUpdate, pendingApprovalQuery, rejectUpdate, type PendingApproval } from '../workflows/messages.js';
import type { ApprovalInput, ApprovalRecord } from '../workflows/types.js';

export interface WaitingRun {
  workflowId: string;
  pending: PendingApproval;
}

/** Pipeline runs of a model that wait for approval: the controller's current run and any started directly. */
export async function waitingForApproval(client: Client, model: string): Promise<WaitingRun[]> {
  const ids = new Set<string>();
  const status = await controllerStatus(client, model);
  if (status?.running) ids.add(status.running.workflowId);
  const query = `RetrainModel = '${model.replace(/'/g, "\\'")}' AND RetrainStep = 'approval' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query })) ids.add(wf.workflowId);
  const out: WaitingRun[] = [];
  for (const workflowId of ids) {
    const pending = await client.workflow.getHandle(workflowId).query(pendingApprovalQuery).catch(() => null);
    if (pending) out.push({ workflowId, pending });
  }
  return out;
}

/**
 * Approves or rejects one candidate version. The pipeline's validator refuses a version it is not
 * waiting for, so a stale approval can never promote a different model.
 */
export async function decideApproval(
  client: Client,
  model: string,
  decision: 'approve' | 'reject',
  input: ApprovalInput,
  workflowId?: string,
): Promise<{ workflowId: string; record: ApprovalRecord }> {
  let id = workflowId;
  if (!id) {
    const waiting = await waitingForApproval(client, model);
    const match = waiting.find((w) => w.pending.version === input.version);
    if (!match) {
      const what = waiting.length ? waiting.map((w) => `v${w.pending.version} (${w.workflowId})`).join(', ') : 'nothing';
      throw new ApprovalNotFound(`no ${model} run waits for a decision on v${input.version}; waiting: ${what}`);
    }
    id = match.workflowId;
  }
  const record = await client.workflow.getHandle(id).executeUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, { args: [input] });
  return { workflowId: id, record };
}
