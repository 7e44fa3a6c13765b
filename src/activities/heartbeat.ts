import { Context } from '@temporalio/activity';

/**
 * Heartbeats every 5 s while `fn` runs, inside an activity: the worktree, `dvc checkout` and copies before and
 * after `dvc repro` can outlast the train step's heartbeat timeout on large data, as a validation of a
 * large snapshot can outlast validate's. `details` go with every beat (a retry reads the last one).
 */
export async function heartbeating<T>(
  step: string,
  fn: () => Promise<T>,
  details: Record<string, unknown> = {},
): Promise<T> {
  let ctx: Context | null = null;
  try {
    ctx = Context.current();
  } catch {
    return fn();
  }
  const started = Date.now();
  const timer = setInterval(
    () => ctx?.heartbeat({ ...details, step, elapsedMs: Date.now() - started }),
    5_000,
  );
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
