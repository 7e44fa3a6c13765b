// The baseline for pipeline overhead: six trivial activities in a row, nothing else.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';

const { step } = proxyActivities<{ step(name: string): Promise<string> }>({ startToCloseTimeout: '1m' });

export async function barePipeline(): Promise<void> {
  for (const name of ['check', 'validate', 'train', 'evaluate', 'register', 'promote']) await step(name);
}

const { tick } = proxyActivities<{ tick(slot: string): Promise<void> }>({ startToCloseTimeout: '1m' });

/** The baseline for the fleet bench: what a schedule tick costs with one trivial activity and nothing else. */
export async function bareTick(): Promise<void> {
  const nominal = workflowInfo().searchAttributes['TemporalScheduledStartTime']?.[0];
  await tick(nominal ? new Date(nominal as string).toISOString() : workflowInfo().startTime.toISOString());
}
