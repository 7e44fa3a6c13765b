import type { CheckResult } from '../activities/types.js';
import type { TriggerDecision } from '../policy/trigger-policy.js';
import type { CoalescedTriggers, PipelineResult, TriggerRequest } from '../workflows/types.js';
import { quickCheckId } from '../workflows/workflow-ids.js';
import type { RunRecord } from './audit-log.js';

/** What a quick check decided on, as the quickCheck activity returns it. */
export interface QuickFacts {
  check: CheckResult;
  configFile: string;
  dataLocation: string;
}

/**
 * The audit record of a skip decided before any pipeline ran (quick-skip.ts): the same fields a
 * pipeline's record has, with the check's id in place of a pipeline id and the deciding workflow
 * (a schedule's tick or the controller) as its parent. Pure, so the workflows and the tick's
 * activity build it alike.
 */
export function skipRecord(input: {
  model: string;
  quick: QuickFacts;
  decision: TriggerDecision;
  triggers: TriggerRequest[];
  coalesced: CoalescedTriggers;
  startedAt: Date;
  finishedAt: Date;
  decidedIn: NonNullable<RunRecord['decidedIn']>;
  /** The workflow run that decided it. */
  by: { workflowId: string; temporalRunId: string };
}): RunRecord {
  const { model, quick, decision } = input;
  const result: PipelineResult = { model, triggers: [...new Set(input.triggers.map((t) => t.reason))], decision, dataFingerprint: quick.check.fingerprint, outcome: 'skipped', reason: `skipped: ${decision.reason}` };
  return {
    model,
    workflowId: quickCheckId(model, input.startedAt),
    temporalRunId: input.by.temporalRunId,
    parentWorkflowId: input.by.workflowId,
    decidedIn: input.decidedIn,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    triggers: input.triggers,
    coalesced: input.coalesced,
    force: false,
    decision,
    check: quick.check,
    result,
    codeVersion: null,
    configFile: quick.configFile,
    dataLocation: quick.dataLocation,
  };
}
