import { patched, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

const delivery = { startToCloseTimeout: '30s', retry: { maximumAttempts: 10 }, summary: 'signal the model controller' } as const;
const { deliverTrigger } = proxyActivities<Activities>(delivery);
// One signal-with-start: as a local activity it needs no activity task on the server and no second
// workflow task, which was a third of a skipped check's round trips in a fleet (BENCHMARKS.md).
const { deliverTrigger: deliverLocally } = proxyLocalActivities<Activities>(delivery);

/**
 * What a Temporal Schedule starts: it only hands a `schedule` trigger to the model's controller,
 * so time-based and event-based triggers share one concurrency gate and one coalescing window.
 */
export async function scheduledTrigger(input: { model: string }): Promise<{ controllerId: string }> {
  const info = workflowInfo();
  const scheduleId = String(info.searchAttributes['TemporalScheduledById']?.[0] ?? 'schedule');
  const nominal = info.searchAttributes['TemporalScheduledStartTime']?.[0];
  const slot = nominal ? new Date(nominal as string).toISOString() : info.startTime.toISOString();
  // Recorded histories replay the activity-task path.
  const deliver = patched('tick-local-delivery') ? deliverLocally : deliverTrigger;
  const { controllerId } = await deliver({
    model: input.model,
    // Keyed on the nominal slot: a retried delivery or a re-run backfill of the same slot counts once.
    trigger: { reason: 'schedule', source: scheduleId, details: { scheduledAt: slot }, idempotencyKey: `schedule:${scheduleId}:${slot}` },
  });
  return { controllerId };
}
