import { DEFAULT_TASK_QUEUE } from '../workflows/workflow-ids.js';

/** The orchestration queue: workflows and quick activities. Override with RETRAIN_TASK_QUEUE. */

export function taskQueue(env = process.env): string {
  return env.RETRAIN_TASK_QUEUE || DEFAULT_TASK_QUEUE;
}
