import { skipRecord } from '../audit/skip-record.js';
import { decideRetrain, EMPTY_MEMORY, unchangedSinceProduction } from '../policy/trigger-policy.js';
import type { TriggerRequest } from '../workflows/types.js';
import { createAuditSteps } from './audit-steps.js';
import type { ActivityDeps } from './deps.js';
import { createPipelineSteps } from './pipeline-steps.js';

export interface SkipIfUnchangedInput {
  model: string;
  /** The tick's trigger, as received. */
  trigger: TriggerRequest;
  /** When the tick began the check: it names the record, so a retried attempt rewrites the same one. */
  startedAt: string;
  /** The tick's workflow run: the record's link to where the skip was decided. */
  by: { workflowId: string; temporalRunId: string };
}

export function createQuickSteps(deps: ActivityDeps) {
  const { quickCheck } = createPipelineSteps(deps);
  const { recordRun } = createAuditSteps(deps);
  return {
    /**
     * A schedule tick's whole check when nothing changed: the quick check (cheap evidence only), the
     * trigger policy, and the audit record, in one local activity (quick-skip.ts says why one). It
     * skips only on data, params and inputs unchanged since production, the one skip that reads no
     * policy memory (unchangedSinceProduction), and decides it with the policy's own function.
     */
    async skipIfUnchanged(input: SkipIfUnchangedInput): Promise<{ skipped: { checkId: string; decision: ReturnType<typeof decideRetrain>; reason: string } | null }> {
      const quick = await quickCheck({ model: input.model, reasons: [input.trigger.reason], nowMs: Date.parse(input.startedAt), memory: EMPTY_MEMORY });
      if (!quick.decided || !unchangedSinceProduction(quick.policy, quick.check)) return { skipped: null };
      const decision = decideRetrain(quick.policy, quick.check, quick.context, EMPTY_MEMORY);
      if (decision.retrain) return { skipped: null };
      const record = skipRecord({
        model: input.model,
        quick,
        decision,
        triggers: [input.trigger],
        coalesced: { total: 1, byReason: { [input.trigger.reason]: 1 } },
        startedAt: new Date(input.startedAt),
        finishedAt: new Date(),
        decidedIn: 'schedule',
        by: input.by,
      });
      await recordRun(record);
      return { skipped: { checkId: record.workflowId, decision, reason: record.result.reason } };
    },
  };
}
