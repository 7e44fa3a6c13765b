// The baseline for pipeline overhead: six trivial activities in a row, nothing else.
import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { RetrainDataFingerprint, RetrainStep } from '../src/temporal/search-attributes.js';

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

/**
 * What a search attribute costs the server: the bare workflow with one upsert in each of its tasks, and with two
 * (as a pipeline run sends where a value learnt between steps and the next step are each an upsert).
 */
export async function bareUpsertEachTask(): Promise<void> {
  for (const name of ['check', 'validate', 'train', 'evaluate', 'register', 'promote']) {
    upsertSearchAttributes([{ key: RetrainStep, value: name }]);
    await step(name);
  }
}

export async function bareTwoUpsertsEachTask(): Promise<void> {
  for (const name of ['check', 'validate', 'train', 'evaluate', 'register', 'promote']) {
    upsertSearchAttributes([{ key: RetrainStep, value: name }]);
    upsertSearchAttributes([{ key: RetrainDataFingerprint, value: name }]);
    await step(name);
  }
}
