import { createHash } from 'node:crypto';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleHandle, type ScheduleOptions } from '@temporalio/client';
import type { LoadedConfig } from '../config/load.js';
import type { ModelConfig } from '../config/model-schema.js';
import { RetrainModel } from '../temporal/search-attributes.js';
import { SCHEDULE_ID_PREFIX, scheduleId, scheduledTickWorkflowId } from '../workflows/workflow-ids.js';


const OVERLAP: Record<NonNullable<ModelConfig['schedule']>['overlap'], ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

export type ScheduleChange = { model: string; scheduleId: string; change: 'create' | 'update' | 'unchanged' | 'delete'; detail: string };

/** The schedule a model's config asks for; its hash (kept in the action memo) tells whether an update is due. */
export function desiredSchedule(model: string, schedule: NonNullable<ModelConfig['schedule']>, taskQueue: string) {
  const spec: ScheduleOptions['spec'] = {
    ...(schedule.cron ? { cronExpressions: [schedule.cron] } : { intervals: [{ every: schedule.every! }] }),
    timezone: schedule.timezone,
    ...(schedule.jitter ? { jitter: schedule.jitter } : {}),
  };
  const policies = { overlap: OVERLAP[schedule.overlap], catchupWindow: schedule.catchupWindow };
  const hash = createHash('sha256')
    .update(JSON.stringify({ spec, policies, paused: schedule.paused, taskQueue, model }))
    .digest('hex')
    .slice(0, 16);
  const when = schedule.cron ? `cron "${schedule.cron}" ${schedule.timezone}` : `every ${schedule.every}`;
  const options = {
    scheduleId: scheduleId(model),
    spec,
    policies,
    action: {
      type: 'startWorkflow' as const,
      // By name: the schedule stores the type's name; no workflow code is loaded here.
      workflowType: 'scheduledTrigger',
      workflowId: scheduledTickWorkflowId(model),
      taskQueue,
      args: [{ model }] as [{ model: string }],
      memo: { retrainSpec: hash },
      typedSearchAttributes: [{ key: RetrainModel, value: model }],
      staticSummary: `scheduled trigger for ${model} (${when})`,
    },
    state: { paused: schedule.paused, note: schedule.paused ? 'paused in config' : `applied from config (${when})` },
    typedSearchAttributes: [{ key: RetrainModel, value: model }],
  } satisfies ScheduleOptions;
  return { options, hash, when };
}

/** The spec hash of a schedule on the server; undefined when there is none. Describe is strongly consistent, list is not. */
async function currentHash(client: Client, id: string): Promise<string | null | undefined> {
  try {
    const d = await client.schedule.getHandle(id).describe();
    const memo = d.action.type === 'startWorkflow' ? (d.action.memo as Record<string, unknown> | undefined) : undefined;
    return typeof memo?.retrainSpec === 'string' ? memo.retrainSpec : null;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

async function listedScheduleIds(client: Client): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of client.schedule.list()) if (s.scheduleId.startsWith(SCHEDULE_ID_PREFIX)) ids.push(s.scheduleId);
  return ids;
}

/**
 * Makes the server's schedules match the config: one per model with a `schedule`, none for the
 * others. Idempotent; `dryRun` only reports what would change.
 */
export async function applySchedules(client: Client, config: LoadedConfig, opts: { taskQueue: string; dryRun?: boolean }): Promise<ScheduleChange[]> {
  const changes: ScheduleChange[] = [];
  const wanted = new Set<string>();
  for (const [model, m] of Object.entries(config.models)) {
    if (!m.schedule) continue;
    const want = desiredSchedule(model, m.schedule, opts.taskQueue);
    const id = want.options.scheduleId;
    wanted.add(id);
    const have = await currentHash(client, id);
    const paused = m.schedule.paused ? ', paused' : '';
    if (have === undefined) {
      changes.push({ model, scheduleId: id, change: 'create', detail: `${want.when}${paused}` });
      if (!opts.dryRun) await client.schedule.create(want.options);
    } else if (have !== want.hash) {
      changes.push({ model, scheduleId: id, change: 'update', detail: `${want.when}${paused}` });
      if (!opts.dryRun) {
        const { scheduleId: _id, typedSearchAttributes: _sa, ...update } = want.options;
        await client.schedule.getHandle(id).update(() => update);
      }
    } else {
      changes.push({ model, scheduleId: id, change: 'unchanged', detail: want.when });
    }
  }
  for (const id of await listedScheduleIds(client)) {
    if (wanted.has(id) || (await currentHash(client, id)) === undefined) continue;
    const model = id.slice(SCHEDULE_ID_PREFIX.length);
    changes.push({ model, scheduleId: id, change: 'delete', detail: 'no schedule in config' });
    if (!opts.dryRun) {
      await client.schedule
        .getHandle(id)
        .delete()
        .catch((err: unknown) => {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        });
    }
  }
  return changes;
}

/** The model's Schedule, for pause, unpause, trigger and backfill (`retrain schedule …`). */
export const modelSchedule = (client: Client, model: string): ScheduleHandle => client.schedule.getHandle(scheduleId(model));
