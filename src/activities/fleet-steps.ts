import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { fleetWorkflowId } from '../workflows/workflow-ids.js';
import { isWorkflowNotFound } from '../errors.js';


/** Which of these workflows are closed (or gone); the fleet's safety net for slots never released. */
export async function closedOf(client: Client, workflowIds: string[]): Promise<string[]> {
  const closed: string[] = [];
  for (const id of workflowIds) {
    try {
      if ((await client.workflow.getHandle(id).describe()).status.name !== 'RUNNING') closed.push(id);
    } catch (err) {
      if (!isWorkflowNotFound(err)) throw err;
      closed.push(id);
    }
  }
  return closed;
}

export function createFleetSteps() {
  return {
    /** Signal-with-start: queues this pipeline at the fleet of its task queue, starting the fleet on first use. */
    async requestTrainingSlot(input: { taskQueue: string; workflowId: string; model: string; limit: number }): Promise<{ fleetId: string }> {
      const fleetId = fleetWorkflowId(input.taskQueue);
      await Context.current().client.workflow.signalWithStart('retrainFleet', {
        workflowId: fleetId,
        taskQueue: input.taskQueue,
        args: [{}],
        signal: 'acquire',
        signalArgs: [{ workflowId: input.workflowId, model: input.model, limit: input.limit }],
        staticSummary: 'training slots shared by every model on this task queue (fleet.maxConcurrentTrainings)',
      });
      return { fleetId };
    },
    /** Gives the slot back (or leaves the queue). A fleet that is gone holds nothing to give back. */
    async releaseTrainingSlot(input: { fleetId: string; workflowId: string }): Promise<void> {
      try {
        await Context.current().client.workflow.getHandle(input.fleetId).signal('release', { workflowId: input.workflowId });
      } catch (err) {
        if (!isWorkflowNotFound(err)) throw err;
      }
    },
    async closedWorkflows(input: { workflowIds: string[] }): Promise<string[]> {
      return closedOf(Context.current().client, input.workflowIds);
    },
  };
}
