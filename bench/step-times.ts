/**
 * Where a run's wall time goes, read from Temporal histories: per activity type, the wait in the
 * task queue (scheduled → started) and the run (started → completed), and the workflow tasks'
 * own time (scheduled → completed), as medians over many runs. Event times are the server's.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type Event = temporal.api.history.v1.IHistoryEvent;
const ms = (e: Event) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);

export interface StepTime {
  step: string;
  /** Median ms in the task queue before a worker picked it up. */
  queueMs: number;
  /** Median ms running on the worker. */
  runMs: number;
  /** How many of them one run has (median). */
  perRun: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/** Per-step medians over the histories of `workflowIds`, in the order the steps first appear. */
export async function stepTimes(client: Client, workflowIds: string[], until?: (e: Event) => boolean): Promise<StepTime[]> {
  const queue = new Map<string, number[]>();
  const run = new Map<string, number[]>();
  const count = new Map<string, number[]>();
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [String(e.eventId), e]));
    const perRun = new Map<string, number>();
    for (const e of events) {
      if (until?.(e)) break;
      const started = e.activityTaskStartedEventAttributes ?? e.workflowTaskStartedEventAttributes;
      const done = e.activityTaskCompletedEventAttributes ?? e.workflowTaskCompletedEventAttributes;
      if (started) {
        const sched = byId.get(String(started.scheduledEventId))!;
        const name = sched.activityTaskScheduledEventAttributes?.activityType?.name ?? 'workflow task';
        (queue.get(name) ?? queue.set(name, []).get(name)!).push(ms(e) - ms(sched));
        perRun.set(name, (perRun.get(name) ?? 0) + 1);
      }
      if (done) {
        const st = byId.get(String(done.startedEventId))!;
        const sched = byId.get(String(done.scheduledEventId))!;
        const name = sched.activityTaskScheduledEventAttributes?.activityType?.name ?? 'workflow task';
        (run.get(name) ?? run.set(name, []).get(name)!).push(ms(e) - ms(st));
      }
    }
    for (const [k, v] of perRun) (count.get(k) ?? count.set(k, []).get(k)!).push(v);
  }
  return [...queue.keys()].map((step) => ({ step, queueMs: median(queue.get(step)!), runMs: median(run.get(step) ?? []), perRun: median(count.get(step)!) }));
}
