// The baseline for pipeline overhead: six trivial activities in a row, nothing else.
import { proxyActivities } from '@temporalio/workflow';

const { step } = proxyActivities<{ step(name: string): Promise<string> }>({ startToCloseTimeout: '1m' });

export async function barePipeline(): Promise<void> {
  for (const name of ['check', 'validate', 'train', 'evaluate', 'register', 'promote']) await step(name);
}
