import { patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { tickSkip } from './quick-skip.js';
import { controllerWorkflowId } from './workflow-ids.js';

const delivery = { startToCloseTimeout: '30s', retry: { maximumAttempts: 10 }, summary: 'signal the model controller' } as const;
const { deliverTrigger } = proxyActivities<Activities>(delivery);
// One signal-with-start: as a local activity it needs no activity task on the server and no second
// workflow task, which was a third of a skipped check's round trips in a fleet (BENCHMARKS.md).
const { deliverTrigger: deliverLocally } = proxyLocalActivities<Activities>(delivery);

/**
 * What a Temporal Schedule starts: it only hands a `schedule` trigger to the model's controller,
 * so time-based and event-based triggers share one concurrency gate and one coalescing window.
 */
export async function scheduledTrigger(input: { model: string }): Promise<{ controllerId: string; skipped?: { checkId: string; reason: string } }> {
  const info = workflowInfo();
  const scheduleId = String(info.searchAttributes['TemporalScheduledById']?.[0] ?? 'schedule');
  const nominal = info.searchAttributes['TemporalScheduledStartTime']?.[0];
  const slot = nominal ? new Date(nominal as string).toISOString() : info.startTime.toISOString();
  // Keyed on the nominal slot: a retried delivery or a re-run backfill of the same slot counts once.
  const trigger = { reason: 'schedule' as const, source: scheduleId, details: { scheduledAt: slot }, idempotencyKey: `schedule:${scheduleId}:${slot}` };
  // Both markers before any local activity: a patch first asked after one resolved does not replay
  // reliably (a kill -9 mid-run showed it). Recorded histories replay without the skip, or the old delivery.
  const skipFirst = patched('tick-unchanged-skip');
  const localDelivery = patched('tick-local-delivery');
  // Most ticks of a fleet find nothing changed: the tick records that skip itself and the
  // controller is not woken (quick-skip.ts).
  if (skipFirst) {
    const skip = await tickSkip(input.model, trigger);
    if (skip) return { controllerId: controllerWorkflowId(input.model), skipped: { checkId: skip.checkId, reason: skip.reason } };
  }
  const deliver = localDelivery ? deliverLocally : deliverTrigger;
  const { controllerId } = await deliver({ model: input.model, trigger });
  return { controllerId };
}
