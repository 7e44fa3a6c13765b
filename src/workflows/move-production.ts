import { FailureType } from '../failure-types.js';
import { ActivityFailure, ApplicationFailure, patched, proxyActivities, setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_TYPES } from '../errors.js';
import { announcer } from './announcer.js';
import { RetrainModel, RetrainOutcome } from '../temporal/search-attributes.js';
import type { MoveProductionInput, MoveProductionResult } from './types.js';

const { resolveMove, promoteVersion, deployVersion, markRolledBack } = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES] },
  summary: 'move the production alias',
});

/**
 * `retrain rollback` and `retrain promote`: move production to a named version, or (rollback) to
 * the most recent earlier one not declared bad, with compare-and-set; run the deploy hook, and
 * move back if it fails. The alias history records who did it and why; a rollback marks the
 * version it left as rolled back, so no later rollback or watch window returns to it.
 */
export async function moveProduction(input: MoveProductionInput): Promise<MoveProductionResult> {
  upsertSearchAttributes([{ key: RetrainModel, value: input.model }]);
  const { plan, from, to, skipped = [], notes = [] } = await resolveMove({ model: input.model, kind: input.kind, ...(input.to !== undefined ? { to: input.to } : {}) });
  // The registry's key for this move: a retried promote recognises the move it already made.
  const recordId = `${input.kind}/${input.model}/${input.actor}/${from}->${to}`;
  const reason = `${input.kind} by ${input.actor}: ${input.reason}`;
  if (from === to) return { model: input.model, from, to, reason: `${plan.registry.alias} is already v${to}; nothing moved` };
  const moved = await promoteVersion({ plan, recordId, version: to, expected: from, actor: input.actor, reason });
  if (!moved.moved) {
    throw ApplicationFailure.nonRetryable(`${plan.registry.alias} moved to v${moved.actual} meanwhile; nothing changed (run again to act on the new state)`, FailureType.PromotionConflict);
  }
  if (plan.promotion.deploy) {
    try {
      await deployVersion({ plan, recordId, version: to });
    } catch (err) {
      await promoteVersion({ plan, recordId, version: from, expected: to, actor: `${input.actor} (compensation)`, reason: `deploy hook failed for v${to}` });
      const cause = err instanceof ActivityFailure ? err.cause : err;
      throw ApplicationFailure.nonRetryable(`deploy hook failed for v${to}; production left on v${from}: ${(cause as Error).message}`, FailureType.DeployHook);
    }
  }
  // Histories recorded before rollbacks marked the version they left replay without this step.
  if (input.kind === 'rollback' && from !== null && patched('rollback-marks-bad')) {
    await markRolledBack({ plan, version: from, mark: { at: moved.move.at, by: input.actor, reason: input.reason, recordId } });
  }
  upsertSearchAttributes([{ key: RetrainOutcome, value: input.kind === 'rollback' ? 'rolled_back' : 'promoted' }]);
  setCurrentDetails(`**${input.kind}**: ${plan.registry.alias} v${from ?? 'none'} → v${to} by ${input.actor}`);
  const said = [reason, ...(skipped.length ? [`skipped ${skipped.map((v) => `v${v.version} (${v.why})`).join(', ')}`] : []), ...notes].join('; ');
  const notifications = announcer(input.model, workflowInfo().workflowId);
  notifications.setTargets(plan.notify);
  notifications.announce(input.kind === 'rollback' ? 'rolled_back' : 'model_promoted', `v${from ?? 'none'} → v${to}: ${said}`, { version: to });
  await notifications.settle();
  return { model: input.model, from, to, reason: said, ...(skipped.length ? { skipped } : {}), ...(notes.length ? { notes } : {}) };
}
