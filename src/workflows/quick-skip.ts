import { isCancellation, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { decideRetrain, type PolicyMemory, type TriggerDecision } from '../policy/trigger-policy.js';
import { PROFILES } from './activity-options.js';
import type { CoalescedTriggers, PipelineResult, TriggerRequest } from './types.js';
import { controllerWorkflowId, quickCheckId } from './workflow-ids.js';

// Local activities: a skipped check of a fleet then costs the controller one workflow task and no
// pipeline run (BENCHMARKS.md, fleet). Both are short: the check reads only cached fingerprints.
const { quickCheck } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 3 },
  summary: 'quick check: the cheap trigger rules on known fingerprints',
});
const { recordRun } = proxyLocalActivities<Activities>({ ...PROFILES.auditRecord, summary: 'write the audit record of the skipped check' });

export interface QuickSkip {
  /** The check's id (`retrain-check/<model>/<time>`): names its audit record, as a pipeline id names a run's. */
  checkId: string;
  decision: TriggerDecision;
  reason: string;
}

/**
 * The controller's check before it starts a pipeline, for a batch nobody waits on: when the cheap
 * evidence alone decides (see the quickCheck activity) and the decision is to skip, the skip is
 * recorded here, in the audit trail, as a pipeline would record it, and no pipeline runs. Null
 * when a pipeline must run: the evidence is not cheap, the rules say retrain, or the check failed
 * (the pipeline then fails or decides with its own full check).
 */
export async function quickSkip(model: string, batch: TriggerRequest[], coalesced: CoalescedTriggers, memory: PolicyMemory, startedAt: Date): Promise<QuickSkip | null> {
  const reasons = [...new Set(batch.map((t) => t.reason))];
  let quick: Awaited<ReturnType<typeof quickCheck>>;
  try {
    quick = await quickCheck({ model, reasons, nowMs: Date.now(), memory });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('quick check failed; a pipeline run checks instead', { model, error: String(err) });
    return null;
  }
  if (!quick.decided) return null;
  const decision = decideRetrain(quick.policy, quick.check, quick.context, memory);
  if (decision.retrain) return null;
  const checkId = quickCheckId(model, startedAt);
  const info = workflowInfo();
  const reason = `skipped: ${decision.reason}`;
  const result: PipelineResult = { model, triggers: reasons as PipelineResult['triggers'], decision, dataFingerprint: quick.check.fingerprint, outcome: 'skipped', reason };
  try {
    await recordRun({
      model,
      workflowId: checkId,
      temporalRunId: info.runId,
      parentWorkflowId: controllerWorkflowId(model),
      decidedIn: 'controller',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      triggers: batch,
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
