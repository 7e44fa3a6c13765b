import { deliver, type Delivery, type Notification, type WebhookTarget } from '../notify/webhook.js';

export function createNotifySteps() {
  return {
    /** One event to the model's webhooks; retried with backoff, and its failure never fails a run. */
    async notify(input: { targets: WebhookTarget[]; notification: Notification }): Promise<Delivery[]> {
      return deliver(input.targets, input.notification);
    },
  };
}
