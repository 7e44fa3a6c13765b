import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { retrainPipeline } from '../../src/workflows/index.js';
import { makeProject } from '../helpers/project.js';
import { defaultDeps, withWorker } from '../helpers/temporal.js';

/*
 * Since `search-attributes-batched` the search attributes a run sets in one workflow task leave it as one upsert
 * (attribute-batch.ts): the server writes the visibility record once per upsert. How that could lie: a value set and
 * never sent (the run's list row shows an old step or no outcome), a key set twice in a task whose first value wins,
 * a failed config read that leaves the run without its model and triggers, a task with two upserts still.
 */

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/**
 * The run's own upsert events per completed workflow task, in order. The SDK's own upsert of each patch marker
 * (TemporalChangeVersion) is not counted: it is one per patch asked, in the first task.
 */
function upsertsPerTask(history: History): number[] {
  const counts: number[] = [];
  for (const e of history.events!) {
    if (e.workflowTaskCompletedEventAttributes) counts.push(0);
    const keys = Object.keys(
      e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
    );
    if (keys.some((k) => k !== 'TemporalChangeVersion')) counts[counts.length - 1]! += 1;
  }
  return counts;
}

async function run(client: Client, taskQueue: string, args: Parameters<typeof retrainPipeline>[0]) {
  const workflowId = `retrain/${args.model}/batch-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [args] });
  const handle = client.workflow.getHandle(workflowId);
  const attrs = (await handle.describe()).searchAttributes;
  return { result, history: await handle.fetchHistory(), attrs };
}

describe('search attributes set in one workflow task go out as one upsert (real dev server)', () => {
  it('a promoted run, checked and forced: one upsert a task at most, every attribute at its last value', async () => {
    for (const force of [false, true]) {
      const p = await makeProject();
      await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
        const { result, history, attrs } = await run(client, taskQueue, {
          model: 'churn',
          triggers: [
            { reason: 'manual', source: 'test' },
            { reason: 'drift_alert', source: 'test' },
          ],
          force,
        });
        assert.equal(result.outcome, 'promoted', result.reason);
        assert.ok(result.outcome === 'promoted');
        const perTask = upsertsPerTask(history);
        assert.ok(
          perTask.every((n) => n <= 1),
          `force=${force}: upserts per task ${perTask.join(',')}`,
        );
        // check (or validate, forced), train, evaluate, register, promote, outcome: a forced run enters check and
        // validate in its first task, and sets the snapshot's fingerprint with the train step.
        assert.equal(
          perTask.reduce((a, b) => a + b, 0),
          force ? 6 : 7,
          `force=${force}: upserts per task ${perTask.join(',')}`,
        );
        assert.deepEqual(attrs['RetrainModel'], ['churn']);
        assert.deepEqual(attrs['RetrainTrigger'], ['manual', 'drift_alert']);
        assert.deepEqual(attrs['RetrainStep'], ['promote']);
        assert.deepEqual(attrs['RetrainOutcome'], ['promoted']);
        assert.deepEqual(attrs['RetrainCandidateVersion'], [result.version]);
        assert.deepEqual(attrs['RetrainDataFingerprint'], [result.dataFingerprint!.sha256.slice(0, 16)]);
      });
    }
  });

  it('a run whose config read fails still carries its model, triggers and outcome', async () => {
    const p = await makeProject();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const { result, history, attrs } = await run(client, taskQueue, {
        model: 'no-such-model',
        triggers: [{ reason: 'manual', source: 'test' }],
      });
      assert.equal(result.outcome, 'failed');
      assert.deepEqual(
        upsertsPerTask(history).filter((n) => n > 0),
        [1],
        'one upsert, in the task that ends the run',
      );
      assert.deepEqual(attrs['RetrainModel'], ['no-such-model']);
      assert.deepEqual(attrs['RetrainTrigger'], ['manual']);
      assert.deepEqual(attrs['RetrainOutcome'], ['failed']);
      assert.equal(attrs['RetrainStep'], undefined);
    });
  });
});
