import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ModelPlan } from '../config/plan.js';
import type { Notification } from '../notify/webhook.js';

// Webhooks get a few quick tries; a failure is logged and never fails or holds up the run.
const { notify } = proxyActivities<Activities>({
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '2m',
  retry: { maximumAttempts: 4, initialInterval: '2s', backoffCoefficient: 2 },
  summary: 'send webhook notifications',
});

/**
 * Sends a run's events to the model's webhooks without waiting: deliveries run beside the
 * pipeline, and `settle` waits for them (never failing) before the run ends. No targets, no activity.
 */
export function announcer(model: string, workflowId: string) {
  const deliveries: Promise<unknown>[] = [];
  let targets: ModelPlan['notify'] = [];
  return {
    setTargets(t: ModelPlan['notify'] | undefined) {
      targets = t ?? [];
    },
    announce(event: Notification['event'], text: string, extra: Partial<Notification> = {}) {
      if (!targets.some((t) => t.events.includes(event))) return;
      const notification: Notification = { event, model, text, workflowId, ...extra };
      deliveries.push(notify({ targets, notification }).catch((err: unknown) => log.warn('notification not delivered', { event, error: String(err) })));
    },
    settle: () => Promise.allSettled(deliveries),
  };
}
