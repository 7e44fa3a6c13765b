import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { jsonBytes, TRIGGER_LIMITS } from '../../src/triggers/trigger-limits.js';
import { pipelineStepQuery } from '../../src/workflows/messages.js';
import { type ControllerStatus } from '../../src/workflows/retrain-controller.js';
import { runForQuery } from '../../src/workflows/messages.js';
import { fixtureCommand, makeProject, type TestProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { defaultDeps, withWorker } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

/** details of exactly the largest allowed size, as JSON. */
function maxDetails(tag: string): Record<string, unknown> {
  const base = { tag, blob: '' };
  const d = { tag, blob: 'x'.repeat(TRIGGER_LIMITS.detailsBytes - jsonBytes(base)) };
  assert.equal(jsonBytes(d), TRIGGER_LIMITS.detailsBytes);
  return d;
}

/** A project whose training holds until its gate file exists (then fails on purpose). */
async function gatedProject(model: string): Promise<{ p: TestProject; gate: string; open: () => void }> {
  const p = await makeProject({}, 1500, model);
  const gate = path.join(p.dir, 'gate');
  p.writeConfig({ trigger: { quietPeriod: '1s' }, train: { command: fixtureCommand('gate.mjs'), env: { GATE_FILE: gate } } });
  return { p, gate, open: () => writeFileSync(gate, 'open') };
}

const status = (client: Client, model: string, what = `status of ${model}`, timeoutMs = 60_000): Promise<ControllerStatus> =>
  until(what, () => controllerStatus(client, model), timeoutMs);

/** The controller's running pipeline, once it is in its train step. */
const training = (client: Client, model: string) =>
  until(`a run of ${model} in train`, async () => {
    const s = await controllerStatus(client, model);
    if (!s?.running) return null;
    const step = await client.workflow.getHandle(s.running.workflowId).query(pipelineStepQuery).catch(() => null);
    return step === 'train' ? s.running.workflowId : null;
  });

/** Temporal's own start and close times of a pipeline run. */
async function interval(client: Client, workflowId: string): Promise<{ start: number; close: number | null; status: string }> {
  const d = await client.workflow.getHandle(workflowId).describe();
  return { start: d.startTime.getTime(), close: d.closeTime ? d.closeTime.getTime() : null, status: d.status.name };
}

async function assertNoOverlap(client: Client, workflowIds: string[]): Promise<void> {
  const runs = (await Promise.all(workflowIds.map((id) => interval(client, id)))).sort((a, b) => a.start - b.start);
  for (let i = 1; i < runs.length; i++) {
    assert.ok(runs[i - 1]!.close !== null && runs[i - 1]!.close! <= runs[i]!.start, `run ${i} started ${runs[i]!.start} before run ${i - 1} closed (${runs[i - 1]!.close})`);
  }
}

/**
 * Until the controller's current run has checked on its carried run once and now waits on its
 * poll timer (the only timer a controller sets while it carries a run), so what happens next is
 * seen by the poll, not by that first check.
 */
const pollTimerSet = (client: Client, model: string) =>
  until(`${model}: the carried run's poll timer`, async () => {
    const history = await client.workflow.getHandle(controllerId(model)).fetchHistory();
    return (history.events ?? []).some((e) => e.timerStartedEventAttributes);
  });

/** Small triggers until the controller has continued-as-new at least once (its maxHistoryEvents is small). */
async function floodUntilRolledOver(client: Client, model: string, taskQueue: string): Promise<void> {
  for (let i = 0; !((await status(client, model)).counters.continuedAsNew >= 1); i++) {
    assert.ok(i < 200, 'the controller continued-as-new while running');
    await sendTrigger(client, { model, taskQueue, trigger: { reason: 'new_data', source: 'test' } });
  }
}

async function cleanup(client: Client, model: string, open: () => void, ids: Iterable<string>): Promise<void> {
  open();
  await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
  for (const id of ids) await client.workflow.getHandle(id).terminate('test finished').catch(() => {});
}

/** Issue 13, item 5: the controller rolls its history over also while a pipeline runs, and keeps one run per model. */
describe('controller carries a running pipeline across continue-as-new (real dev server)', () => {
  it('flood while training: status answers, it continues-as-new while running, the run lands in recent, the follow-up starts after it, no trigger lost', async (t) => {
    const model = 'carry-flood';
    const { p, open } = await gatedProject(model);
    const started = new Set<string>();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true }, maxHistoryEvents: 60 });
        const first = await training(client, model);
        started.add(first);

        const N = 150;
        const requestIds = Array.from({ length: N }, () => randomUUID());
        const seen: ControllerStatus[] = [];
        for (let i = 0; i < N; i += 10) {
          await Promise.all(
            requestIds.slice(i, i + 10).map((requestId, j) =>
              sendTrigger(client, { model, taskQueue, trigger: { reason: 'new_data', source: 's'.repeat(TRIGGER_LIMITS.sourceChars), details: maxDetails(`t${i + j}`), requestId } }),
            ),
          );
          seen.push(await status(client, model, `status during the flood (after ${i + 10})`));
        }
        const rolled = await until('every flood signal counted', async () => {
          const s = await controllerStatus(client, model);
          return s && s.counters.received === N + 1 ? s : null;
        }, 2 * 60_000);
        seen.push(rolled);
        t.diagnostic(`during the run: continued-as-new ${rolled.counters.continuedAsNew}×, pending ${rolled.pending.total}, state ${rolled.stateBytes} B`);
        for (const s of seen) {
          assert.equal(s.phase, 'running', 'the controller stays running the first pipeline throughout the flood');
          assert.equal(s.running?.workflowId, first);
        }
        assert.ok(rolled.counters.continuedAsNew >= 1, 'it continued-as-new while the pipeline ran');
        assert.equal(rolled.counters.runs, 1);
        assert.equal(rolled.pending.total, N);
        assert.equal((await interval(client, first)).status, 'RUNNING', 'the pipeline survived the roll-over');

        open();
        const done = await until(`${model}: two runs finished and idle`, async () => {
          const s = await controllerStatus(client, model);
          return s && s.recent.length >= 2 && s.phase === 'idle' ? s : null;
        }, 5 * 60_000);
        for (const r of done.recent) started.add(r.workflowId);
        assert.equal(done.counters.runs, 2);
        assert.equal(done.recent[1]!.workflowId, first, 'the carried run is in recent');
        assert.equal(done.recent[1]!.outcome, 'failed');
        assert.match(done.recent[1]!.reason, /TrainingCommandError/, 'its own result, not an abnormal end');
        assert.equal(done.recent[0]!.triggers.total, N, 'the follow-up answers every flood trigger');
        assert.equal(done.counters.accepted, done.recent.reduce((n, r) => n + r.triggers.total, 0), 'every accepted trigger was answered by a run');
        const controller = client.workflow.getHandle(controllerId(model));
        for (const id of requestIds) assert.deepEqual(await controller.query(runForQuery, id), { state: 'started', workflowId: done.recent[0]!.workflowId });
        await assertNoOverlap(client, done.recent.map((r) => r.workflowId));
        await recordHistory(client, controllerId(model), 'controller-carry-run');
        await recordHistory(client, first, 'pipeline-reports-to-controller');
      } finally {
        await cleanup(client, model, open, started);
      }
    });
  });

  it('terminate the controller while a pipeline runs: the next controller adopts it and starts the next run only after it ends', async () => {
    const model = 'carry-adopt';
    const { p, open } = await gatedProject(model);
    const started = new Set<string>();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true } });
        const first = await training(client, model);
        started.add(first);
        await client.workflow.getHandle(controllerId(model)).terminate('operator terminates the controller');
        await sleep(1000);
        assert.equal((await interval(client, first)).status, 'RUNNING', 'terminating the controller leaves its pipeline running');
        // Visibility lags the start by a moment on the dev server (README): wait until it lists the run.
        await until('the running pipeline listed', async () => {
          for await (const w of client.workflow.list({ query: `WorkflowType = 'retrainPipeline' AND ExecutionStatus = 'Running' AND RetrainModel = '${model}'` })) if (w.workflowId === first) return true;
          return false;
        });

        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true } });
        const adopted = await until('the new controller adopts the running pipeline', async () => {
          const s = await controllerStatus(client, model);
          return s && s.phase === 'running' && s.running?.workflowId === first && s.pending.total === 1 ? s : null;
        });
        assert.equal(adopted.counters.runs, 0, 'it started nothing');
        await sleep(3000);
        const still = await status(client, model);
        assert.equal(still.running?.workflowId, first, 'still waiting for the adopted run, trigger pending');
        assert.equal(still.pending.total, 1);

        open();
        const done = await until(`${model}: adopted run and one more finished`, async () => {
          const s = await controllerStatus(client, model);
          return s && s.recent.length >= 2 && s.phase === 'idle' ? s : null;
        }, 5 * 60_000);
        for (const r of done.recent) started.add(r.workflowId);
        assert.equal(done.recent[1]!.workflowId, first);
        assert.equal(done.recent[1]!.adopted, true);
        assert.equal(done.recent[0]!.triggers.total, 1);
        assert.equal(done.counters.runs, 1);
        await assertNoOverlap(client, done.recent.map((r) => r.workflowId));
        await recordHistory(client, controllerId(model), 'controller-adopted-run');
      } finally {
        await cleanup(client, model, open, started);
      }
    });
  });

  it('a pipeline terminated after the controller rolled over: the controller notices and goes on', async () => {
    const model = 'carry-poll';
    const { p, open } = await gatedProject(model);
    const started = new Set<string>();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true }, maxHistoryEvents: 40 });
        const first = await training(client, model);
        started.add(first);
        await floodUntilRolledOver(client, model, taskQueue);
        assert.equal((await status(client, model)).running?.workflowId, first);
        await pollTimerSet(client, model);
        await client.workflow.getHandle(first).terminate('operator terminates the pipeline');
        open();
        const done = await until(`${model}: the terminated run recorded, the follow-up finished`, async () => {
          const s = await controllerStatus(client, model);
          return s && s.recent.length >= 2 && s.phase === 'idle' ? s : null;
        }, 5 * 60_000);
        for (const r of done.recent) started.add(r.workflowId);
        assert.equal(done.recent[1]!.workflowId, first);
        assert.equal(done.recent[1]!.outcome, 'failed');
        assert.match(done.recent[1]!.reason, /pipeline ended abnormally: TERMINATED/);
        assert.equal(done.counters.runs, 2);
        await assertNoOverlap(client, done.recent.map((r) => r.workflowId));
      } finally {
        await cleanup(client, model, open, started);
      }
    });
  });

  it('cancelling the controller after it rolled over still cancels its running pipeline', async () => {
    const model = 'carry-cancel';
    const { p, open } = await gatedProject(model);
    const started = new Set<string>();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true }, maxHistoryEvents: 40 });
        const first = await training(client, model);
        started.add(first);
        await floodUntilRolledOver(client, model, taskQueue);
        await client.workflow.getHandle(controllerId(model)).cancel();
        const end = await until('the pipeline cancelled', async () => {
          const i = await interval(client, first);
          return i.status !== 'RUNNING' ? i : null;
        });
        assert.equal(end.status, 'CANCELLED');
        assert.equal((await client.workflow.getHandle(controllerId(model)).describe()).status.name, 'CANCELLED');
      } finally {
        await cleanup(client, model, open, started);
      }
    });
  });

  it('cancelling the controller while its pipeline is still its child cancels the pipeline', async () => {
    const model = 'carry-cancel-child';
    const { p, open } = await gatedProject(model);
    const started = new Set<string>();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true } });
        const first = await training(client, model);
        started.add(first);
        assert.equal((await status(client, model)).counters.continuedAsNew, 0);
        await client.workflow.getHandle(controllerId(model)).cancel();
        const end = await until('the pipeline cancelled', async () => {
          const i = await interval(client, first);
          return i.status !== 'RUNNING' ? i : null;
        });
        assert.equal(end.status, 'CANCELLED');
      } finally {
        await cleanup(client, model, open, started);
      }
    });
  });

  it('a pipeline whose controller is gone still completes with its own result', async () => {
    const model = 'carry-orphan';
    const { p, open } = await gatedProject(model);
    const started = new Set<string>();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        await sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', force: true } });
        const first = await training(client, model);
        started.add(first);
        await client.workflow.getHandle(controllerId(model)).terminate('operator terminates the controller');
        open();
        const result = await client.workflow.getHandle(first).result();
        assert.equal(result.outcome, 'failed');
        assert.match(result.reason, /TrainingCommandError/);
        assert.equal((await interval(client, first)).status, 'COMPLETED', 'the failed signal to the gone controller did not fail the run');
      } finally {
        await cleanup(client, model, open, started);
      }
    });
  });
});
