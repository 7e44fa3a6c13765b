/**
 * The fleet bench's baseline worker, in a process of its own so its CPU time is its own:
 * the bare workflows of bench/bare-workflow.ts with trivial activities.
 * Env: TEMPORAL_ADDRESS, BENCH_TASK_QUEUE, BENCH_BUNDLE (a bundled bench/bare-workflow.ts), BENCH_TICKS
 * (each tick appends "<now ms> <nominal slot ms>", for the delay behind the schedule).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { NativeConnection, Worker } from '@temporalio/worker';
import { installRuntime } from '../src/temporal/runtime.js';

installRuntime('ERROR');
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue: process.env.BENCH_TASK_QUEUE!,
  workflowBundle: { code: readFileSync(process.env.BENCH_BUNDLE!, 'utf8') },
  activities: { step: async (name: string) => name, tick: async (slot: string) => appendFileSync(process.env.BENCH_TICKS!, `${Date.now()} ${Date.parse(slot)}\n`) },
});
process.on('SIGTERM', () => worker.shutdown());
await worker.run();
await connection.close();
