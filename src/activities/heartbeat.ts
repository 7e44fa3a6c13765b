import { Context } from '@temporalio/activity';

/**
 * How long a step runs before its progress heartbeats start. An attempt's first heartbeat goes to the server at once,
 * and each is a write there (about 3 ms of its CPU, measured in the bench): a snapshot copied within a second is
 * nowhere near its step's heartbeat timeout, and a retry copies it again in as little, so it needs none.
 */
export const QUIET_MS = 1000;

/**
 * The quiet period for a step whose heartbeat timeout is `timeoutMs`: none when the timeout is under 10 s (its clock
 * runs from the step's start, so the first beat must not wait), else QUIET_MS.
 */
export const quietFor = (timeoutMs: number | undefined): number => (timeoutMs !== undefined && timeoutMs > 0 && timeoutMs < 10_000 ? 0 : QUIET_MS);

/** `beat`, once `quietMs` have passed since this was made (and every time after): progress heartbeats of a long copy. */
export function afterQuiet<T>(beat: (details: T) => void, quietMs = QUIET_MS, now: () => number = Date.now): (details: T) => void {
  const from = now();
  return (details) => {
    if (now() - from >= quietMs) beat(details);
  };
}

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
