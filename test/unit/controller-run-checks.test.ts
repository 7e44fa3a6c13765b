import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { describeRun, findRunningRun } from '../../src/activities/controller-steps.js';
import { RUN_FINISHED_REASON_CHARS, runFinished } from '../../src/workflows/messages.js';
import type { PipelineResult } from '../../src/workflows/types.js';

/** Just enough of a Client for the controller's two checks. */
function fakeClient(opts: { status?: string; result?: unknown; notFound?: boolean; listed?: { workflowId: string; runId: string; startTime: Date }[] }) {
  const queries: string[] = [];
  const client = {
    workflow: {
      getHandle: () => ({
        describe: async () => {
          if (opts.notFound) throw new WorkflowNotFoundError('workflow not found', 'retrain/m/t', undefined);
          return { status: { name: opts.status } };
        },
        result: async () => opts.result,
      }),
      list: ({ query }: { query: string }) => {
        queries.push(query);
        return (async function* () {
          yield* opts.listed ?? [];
        })();
      },
    },
  } as unknown as Client;
  return { client, queries };
}

const failedResult = (reason: string): PipelineResult => ({ model: 'm', reason, triggers: ['manual'], dataFingerprint: null, decision: null, outcome: 'failed', step: 'train', error: { type: 'TrainingCommandError', message: 'x' } });

describe('controller checks on a run it does not hold as a child', () => {
  it('running, completed (its own result, reason bounded), and every other end as an abnormal failure', async () => {
    const ref = { workflowId: 'retrain/m/t', temporalRunId: 'r' };
    assert.deepEqual(await describeRun(fakeClient({ status: 'RUNNING' }).client, ref), { state: 'running' });
    const long = 'y'.repeat(RUN_FINISHED_REASON_CHARS + 500);
    const done = await describeRun(fakeClient({ status: 'COMPLETED', result: failedResult(long) }).client, ref);
    assert.equal(done.state, 'closed');
    assert.deepEqual(done.state === 'closed' && done.finished, { workflowId: ref.workflowId, outcome: 'failed', reason: long.slice(0, RUN_FINISHED_REASON_CHARS), version: null, breaches: null });
    for (const status of ['TERMINATED', 'TIMED_OUT', 'CANCELLED', 'FAILED']) {
      const r = await describeRun(fakeClient({ status }).client, ref);
      assert.deepEqual(r, { state: 'closed', finished: { workflowId: ref.workflowId, outcome: 'failed', reason: `pipeline ended abnormally: ${status}`, version: null, breaches: null } });
    }
    const gone = await describeRun(fakeClient({ notFound: true }).client, ref);
    assert.equal(gone.state === 'closed' && gone.finished.reason, 'pipeline ended abnormally: NOT_FOUND');
  });

  it('finds the oldest running pipeline of the model, skips excluded ones, and keeps the model name data in the query', async () => {
    const listed = [
      { workflowId: 'retrain/m/2', runId: 'b', startTime: new Date('2026-01-02T00:00:00Z') },
      { workflowId: 'retrain/m/1', runId: 'a', startTime: new Date('2026-01-01T00:00:00Z') },
    ];
    assert.deepEqual(await findRunningRun(fakeClient({ listed }).client, 'm'), { workflowId: 'retrain/m/1', temporalRunId: 'a', startedAt: '2026-01-01T00:00:00.000Z' });
    assert.equal((await findRunningRun(fakeClient({ listed }).client, 'm', ['retrain/m/1']))?.workflowId, 'retrain/m/2');
    assert.equal(await findRunningRun(fakeClient({}).client, 'm'), null);
    const { client, queries } = fakeClient({});
    await findRunningRun(client, "x' OR WorkflowType = 'y\\");
    assert.equal(queries[0], "WorkflowType = 'retrainPipeline' AND ExecutionStatus = 'Running' AND (RetrainModel = 'x\\' OR WorkflowType = \\'y\\\\' OR WorkflowId STARTS_WITH 'retrain/x\\' OR WorkflowType = \\'y\\\\/')");
  });

  it('the runFinished report carries the version and the policy breaches of a result', () => {
    const promoted = { model: 'm', reason: 'better', triggers: ['manual'], dataFingerprint: null, decision: { retrain: true, reason: 'r', rules: [], breaches: 2 }, outcome: 'promoted', version: 7, previousVersion: 6, metrics: { candidate: {}, production: null } } as unknown as PipelineResult;
    assert.deepEqual(runFinished('w', promoted), { workflowId: 'w', outcome: 'promoted', reason: 'better', version: 7, breaches: 2 });
  });
});
