import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { taskQueue } from '../temporal/task-queues.js';
import type { BacktestInput, backtestWorkflow } from '../workflows/backtest.js';
import { backtestWorkflowId } from '../workflows/workflow-ids.js';

/** Starts a backtest of the model's trigger policy over time-ordered partitions; the handle answers the progress query. */
export async function startBacktest(client: Client, input: BacktestInput, summary: string) {
  const workflowId = backtestWorkflowId(input.model, new Date(), randomUUID().slice(0, 8));
  const handle = await client.workflow.start<typeof backtestWorkflow>('backtestWorkflow', {
    taskQueue: taskQueue(),
    workflowId,
    args: [input],
    staticSummary: summary,
  });
  return { workflowId, handle };
}
