import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps } from '../../src/activities/deps.js';
import { controllerId } from '../../src/client/controller.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { settled, until } from '../helpers/wait.js';
import { listRunRecords } from '../../src/audit/audit-log.js';
import path from 'node:path';

/** Activity tasks each workflow of a scheduled check put on the task queue, by activity type. */
async function activityTasks(client: Client, workflowId: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
}

describe('a scheduled check costs few round trips through the server (real dev server)', () => {
  it('the tick delivers its trigger and the controller reads its timing in local activities; the check still runs and skips', async () => {
    const p = await makeProject();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const tick = async (n: number) => {
        const h = await client.workflow.start('scheduledTrigger', { taskQueue, workflowId: `retrain-schedule/churn/tick-${Date.now()}-${n}`, args: [{ model: 'churn' }] });
        await h.result();
        return h.workflowId;
      };
      const first = await tick(1);
      const status = await settled(client, 'churn', 1);
      assert.equal(status.recent[0]!.outcome, 'promoted', status.recent[0]!.reason);
      await tick(2);
      // The second tick's skip is decided by the tick itself or by the controller (quick-skip.test.ts); either way it is recorded.
      const records = await until('the second check recorded', async () => {
        const all = await listRunRecords(path.join(p.dir, '.retrain'), 'churn');
        return all.length === 2 ? all : null;
      });
      assert.equal(records[1]!.result.outcome, 'skipped', records[1]!.result.reason);
      assert.deepEqual(await activityTasks(client, first), [], 'the tick signals its controller from a local activity');
      assert.deepEqual((await activityTasks(client, controllerId('churn'))).filter((a) => a === 'planRun'), [], 'trigger timing is read in a local activity');
    });
  });
});
