import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ModelPlan } from '../config/plan.js';
import type { Notification } from '../notify/webhook.js';
import { FailureType } from '../failure-types.js';
import { profile } from './activity-options.js';
import type { PipelineResult } from './types.js';

const { notify } = proxyActivities<Activities>(profile('webhook', 'send webhook notifications'));

/** The webhook event a run's outcome is announced as, with its text and extra fields. */
export function outcomeEvent(result: PipelineResult): { event: Notification['event']; text: string; extra: Partial<Notification> } {
  switch (result.outcome) {
    case 'skipped':
      return { event: 'run_skipped', text: result.reason, extra: {} };
    case 'rejected':
      return { event: 'candidate_rejected', text: `v${result.version} ${result.reason}`, extra: { version: result.version } };
    case 'promoted':
      return { event: 'model_promoted', text: `v${result.version} ${result.reason}`, extra: { version: result.version } };
    case 'rolled_back':
      return { event: 'rolled_back', text: `v${result.version} ${result.reason}`, extra: { version: result.version } };
    case 'failed':
      return result.error.type === FailureType.DataValidation
        ? { event: 'validation_failed', text: result.reason, extra: { details: { error: result.error } } }
        : { event: 'run_failed', text: result.reason, extra: { details: { step: result.step, error: result.error } } };
  }
}

/**
 * Sends a run's events to the model's webhooks without waiting: deliveries run beside the
 * pipeline, and `settle` waits for them (never failing) before the run ends. No targets, no activity.
 */
export function announcer(model: string, workflowId: string) {
  const deliveries: Promise<unknown>[] = [];
  let targets: ModelPlan['notify'] = [];
  const announce = (event: Notification['event'], text: string, extra: Partial<Notification> = {}) => {
    if (!targets.some((t) => t.events.includes(event))) return;
    const notification: Notification = { event, model, text, workflowId, ...extra };
    deliveries.push(notify({ targets, notification }).catch((err: unknown) => log.warn('notification not delivered', { event, error: String(err) })));
  };
  return {
    setTargets(t: ModelPlan['notify'] | undefined) {
      targets = t ?? [];
    },
    announce,
    /** The run's outcome, as the event its webhooks subscribe to (outcomeEvent). */
    announceOutcome(result: PipelineResult) {
      const { event, text, extra } = outcomeEvent(result);
      announce(event, text, extra);
    },
    settle: () => Promise.allSettled(deliveries),
  };
}
