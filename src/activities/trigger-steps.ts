import { Context } from '@temporalio/activity';
import { sendTrigger, type TriggerDelivered } from '../client/controller.js';
import type { TriggerRequest } from '../workflows/types.js';

export function createTriggerSteps() {
  return {
    /** A schedule's tick: hands the trigger to the model's controller, starting it if needed. */
    async deliverTrigger(input: { model: string; trigger: TriggerRequest }): Promise<TriggerDelivered> {
      const ctx = Context.current();
      return sendTrigger(ctx.client, { model: input.model, trigger: input.trigger, taskQueue: ctx.info.taskQueue });
    },
  };
}
