import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import { RetrainStep, RetrainModel } from '../src/temporal/search-attributes.js';
const { step } = proxyActivities<{ step(name: string, pad?: string): Promise<string> }>({ startToCloseTimeout: '1m' });
const SIX = ['check', 'validate', 'train', 'evaluate', 'register', 'promote'];
export async function bareUpserts(): Promise<void> {
  for (const name of SIX) { upsertSearchAttributes([{ key: RetrainStep, value: name }]); upsertSearchAttributes([{ key: RetrainModel, value: name }]); upsertSearchAttributes([{ key: RetrainStep, value: name + 'x' }]); await step(name); }
}
export async function bareUpsertOne(): Promise<void> {
  for (const name of SIX) { upsertSearchAttributes([{ key: RetrainStep, value: name }, { key: RetrainModel, value: name }]); await step(name); }
}
export async function bareBig(): Promise<void> {
  const pad = 'x'.repeat(3800);
  for (const name of SIX) await step(name, pad);
}
export async function bareEight(): Promise<void> {
  for (const name of [...SIX, 'a', 'b']) await step(name);
}
export async function barePipeline(): Promise<void> {
  for (const name of SIX) await step(name);
}
