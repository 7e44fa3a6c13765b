import { condition, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { approveUpdate, pendingApprovalQuery, rejectUpdate, type PendingApproval } from './messages.js';
import type { ModelPlan } from '../config/plan.js';
import { parseDurationMs } from '../duration.js';
import type { ApprovalInput, ApprovalRecord } from './types.js';


/**
 * A person approves or rejects the exact candidate version through an Update; the validator
 * refuses a version this run is not waiting on. Handlers are installed when the run starts, so a
 * premature answer is refused with a reason instead of being lost.
 */
export function approvalGate(pipelineId: string, currentStep: () => string) {
  let pending: PendingApproval | null = null;
  let answer: ApprovalRecord | null = null;
  setHandler(pendingApprovalQuery, () => pending);
  const handler = (decision: ApprovalRecord['decision']) => (a: ApprovalInput): ApprovalRecord => {
    answer = { decision, approver: a.approver, ...(a.comment ? { comment: a.comment } : {}), at: new Date().toISOString() };
    return answer;
  };
  const validator = (a: ApprovalInput) => {
    if (!pending || answer) throw new Error(`${pipelineId} is not waiting for an approval (step: ${currentStep()})`);
    if (a.version !== pending.version) throw new Error(`stale or unknown version v${a.version}: this run waits for a decision on v${pending.version}`);
    if (!a.approver?.trim()) throw new Error('approver is required');
  };
  setHandler(approveUpdate, handler('approved'), { validator });
  setHandler(rejectUpdate, handler('rejected'), { validator });

  return {
    /**
     * Waits (a durable timer, no worker held) for the answer on `candidate`. At each deadline the
     * policy's `onTimeout` decides: reject, approve, or escalate (tell `remind` and wait again).
     */
    async wait(
      policy: NonNullable<ModelPlan['promotion']['approval']>,
      candidate: Omit<PendingApproval, 'since' | 'deadline'>,
      remind: (text: string) => void,
    ): Promise<ApprovalRecord> {
      let deadline = Date.now() + parseDurationMs(policy.timeout);
      pending = { ...candidate, since: new Date().toISOString(), deadline: new Date(deadline).toISOString() };
      setCurrentDetails(`waiting for approval of v${candidate.version} until ${pending.deadline}: ${candidate.reason}`);
      remind(`v${candidate.version} waits for approval until ${pending.deadline}: ${candidate.reason}`);
      while (!(await condition(() => answer !== null, Math.max(1, deadline - Date.now())))) {
        if (policy.onTimeout === 'escalate') {
          deadline = Date.now() + parseDurationMs(policy.timeout);
          pending = { ...pending, deadline: new Date(deadline).toISOString() };
          remind(`ESCALATED: v${candidate.version} still waits for approval (now until ${pending.deadline})`);
          continue;
        }
        answer = { decision: policy.onTimeout === 'approve' ? 'approved' : 'rejected', approver: `timeout after ${policy.timeout} (onTimeout: ${policy.onTimeout})`, at: new Date().toISOString() };
      }
      pending = null;
      return answer!;
    },
  };
}
