import { isCancellation, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { skipRecord } from '../audit/skip-record.js';
import { decideRetrain, type PolicyMemory, type TriggerDecision } from '../policy/trigger-policy.js';
import { PROFILES } from './activity-options.js';
import type { CoalescedTriggers, TriggerRequest } from './types.js';

// Local activities: a skipped check of a fleet then costs one workflow task and no pipeline run
// (BENCHMARKS.md, fleet). Both are short: the check reads only cached fingerprints.
const { quickCheck } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
  summary: 'quick check: the cheap trigger rules on known fingerprints',
});
const { recordRun } = proxyLocalActivities<Activities>({ ...PROFILES.auditRecord, summary: 'write the audit record of the skipped check' });
// A few quick tries: when they fail the tick hands its trigger to the controller, which checks (and records) again.
const { skipIfUnchanged } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
  summary: 'quick check: skip and record when data, params and inputs are unchanged',
});

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
async function recordSkip(model: string, quick: Quick, decision: TriggerDecision, triggers: TriggerRequest[], coalesced: CoalescedTriggers, startedAt: Date): Promise<QuickSkip> {
  const info = workflowInfo();
  const record = skipRecord({ model, quick, decision, triggers, coalesced, startedAt, finishedAt: new Date(), decidedIn: 'controller', by: { workflowId: info.workflowId, temporalRunId: info.runId } });
  try {
    await recordRun(record);
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.error('audit record not written', { model, checkId: record.workflowId, error: String(err) });
  }
  return { checkId: record.workflowId, decision, reason: record.result.reason };
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
  return decision.retrain ? null : recordSkip(model, quick, decision, batch, coalesced, startedAt);
}

/**
 * A schedule's tick, before it hands its trigger to the controller: data, params and inputs that
 * are what production was trained on are skipped whatever the controller remembers (a skip on
 * unchanged data reads no policy memory, see unchangedSinceProduction), so the tick's one local
 * activity (skipIfUnchanged: the quick check, the policy, the audit record) records the skip and
 * the controller is not woken. One activity, not two: a fleet's checks are mostly this, and each
 * local activity costs the tick a sandbox activation. Anything else (changed or unhashed data, a
 * policy that does not skip unchanged data, a failed check) is null: the trigger goes on to the
 * controller as before.
 */
export async function tickSkip(model: string, trigger: TriggerRequest): Promise<QuickSkip | null> {
  const info = workflowInfo();
  try {
    const answer = await skipIfUnchanged({ model, trigger: { ...trigger, receivedAt: new Date().toISOString() }, startedAt: new Date().toISOString(), by: { workflowId: info.workflowId, temporalRunId: info.runId } });
    return answer.skipped;
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('quick check failed; the trigger goes on to the controller', { model, error: String(err) });
    return null;
  }
}
