import { isCancellation, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { RunRecord } from '../audit/audit-log.js';
import { decideRetrain, EMPTY_MEMORY, unchangedSinceProduction, type PolicyMemory, type TriggerDecision } from '../policy/trigger-policy.js';
import { PROFILES } from './activity-options.js';
import type { CoalescedTriggers, PipelineResult, TriggerRequest } from './types.js';
import { quickCheckId } from './workflow-ids.js';

// Local activities: a skipped check of a fleet then costs one workflow task and no pipeline run
// (BENCHMARKS.md, fleet). Both are short: the check reads only cached fingerprints.
const { quickCheck } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
  summary: 'quick check: the cheap trigger rules on known fingerprints',
});
const { recordRun } = proxyLocalActivities<Activities>({ ...PROFILES.auditRecord, summary: 'write the audit record of the skipped check' });

type Quick = Extract<Awaited<ReturnType<typeof quickCheck>>, { decided: true }>;

export interface QuickSkip {
  /** The check's id (`retrain-check/<model>/<time>`): names its audit record, as a pipeline id names a run's. */
  checkId: string;
  decision: TriggerDecision;
  reason: string;
}

/** The quick check's answer when the cheap evidence decides, else null (a failed check included: a pipeline then checks). */
async function cheapEvidence(model: string, reasons: string[], memory: PolicyMemory): Promise<Quick | null> {
  try {
    const quick = await quickCheck({ model, reasons, nowMs: Date.now(), memory });
    return quick.decided ? quick : null;
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('quick check failed; the trigger goes on to a pipeline run', { model, error: String(err) });
    return null;
  }
}

/** Writes the skip's audit record, as a pipeline writes its own; a record not written is logged, as there. */
async function recordSkip(model: string, quick: Quick, decision: TriggerDecision, triggers: TriggerRequest[], coalesced: CoalescedTriggers, startedAt: Date, decidedIn: NonNullable<RunRecord['decidedIn']>): Promise<QuickSkip> {
  const checkId = quickCheckId(model, startedAt);
  const info = workflowInfo();
  const reason = `skipped: ${decision.reason}`;
  const result: PipelineResult = { model, triggers: [...new Set(triggers.map((t) => t.reason))], decision, dataFingerprint: quick.check.fingerprint, outcome: 'skipped', reason };
  try {
    await recordRun({
      model,
      workflowId: checkId,
      temporalRunId: info.runId,
      parentWorkflowId: info.workflowId,
      decidedIn,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      triggers,
      coalesced,
      force: false,
      decision,
      check: quick.check,
      result,
      codeVersion: null,
      configFile: quick.configFile,
      dataLocation: quick.dataLocation,
    });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.error('audit record not written', { model, checkId, error: String(err) });
  }
  return { checkId, decision, reason };
}

/**
 * The controller's check before it starts a pipeline, for a batch nobody waits on: when the cheap
 * evidence alone decides (see the quickCheck activity) and the decision is to skip, the skip is
 * recorded here, in the audit trail, as a pipeline would record it, and no pipeline runs. Null
 * when a pipeline must run: the evidence is not cheap, the rules say retrain, or the check failed
 * (the pipeline then fails or decides with its own full check).
 */
export async function quickSkip(model: string, batch: TriggerRequest[], coalesced: CoalescedTriggers, memory: PolicyMemory, startedAt: Date): Promise<QuickSkip | null> {
  const quick = await cheapEvidence(model, [...new Set(batch.map((t) => t.reason))], memory);
  if (!quick) return null;
  const decision = decideRetrain(quick.policy, quick.check, quick.context, memory);
  return decision.retrain ? null : recordSkip(model, quick, decision, batch, coalesced, startedAt, 'controller');
}

/**
 * A schedule's tick, before it hands its trigger to the controller: data, params and inputs that
 * are what production was trained on are skipped whatever the controller remembers (a skip on
 * unchanged data reads no policy memory, see unchangedSinceProduction), so the tick records the
 * skip itself and the controller is not woken. Anything else (changed or unhashed data, a policy
 * that does not skip unchanged data) is null: the trigger goes to the controller as before.
 */
export async function tickSkip(model: string, trigger: TriggerRequest): Promise<QuickSkip | null> {
  const startedAt = new Date();
  const quick = await cheapEvidence(model, [trigger.reason], EMPTY_MEMORY);
  if (!quick || !unchangedSinceProduction(quick.policy, quick.check)) return null;
  // The policy decides, as everywhere; on unchanged data it skips, and the memory it is given does not count.
  const decision = decideRetrain(quick.policy, quick.check, quick.context, EMPTY_MEMORY);
  if (decision.retrain) return null;
  const received = { ...trigger, receivedAt: startedAt.toISOString() };
  return recordSkip(model, quick, decision, [received], { total: 1, byReason: { [trigger.reason]: 1 } }, startedAt, 'schedule');
}
