import type { Client } from '@temporalio/client';
import { taskQueue } from '../temporal/task-queues.js';
import type { moveProduction } from '../workflows/move-production.js';
import type { MoveProductionInput, MoveProductionResult } from '../workflows/types.js';
import { moveProductionWorkflowId } from '../workflows/workflow-ids.js';

/** Starts the rollback/promote workflow and waits for it. */
export async function runMoveProduction(client: Client, input: MoveProductionInput): Promise<{ workflowId: string; result: MoveProductionResult }> {
  const workflowId = moveProductionWorkflowId(input.kind, input.model, new Date());
  const handle = await client.workflow.start<typeof moveProduction>('moveProduction', {
    workflowId,
    taskQueue: taskQueue(),
    args: [input],
    staticSummary: `${input.kind} ${input.model}${input.to !== undefined ? ` to v${input.to}` : ''} by ${input.actor}`,
  });
  return { workflowId, result: await handle.result() };
}
