/** The orchestration queue: workflows and quick activities. Override with RETRAIN_TASK_QUEUE. */
export const DEFAULT_TASK_QUEUE = 'retrain';

export function taskQueue(env = process.env): string {
  return env.RETRAIN_TASK_QUEUE || DEFAULT_TASK_QUEUE;
}
