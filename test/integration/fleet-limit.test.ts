import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import { defaultDeps } from '../../src/activities/deps.js';
import { describePlace, fleetPlace, fleetStatus } from '../../src/client/fleet-status.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { connectClient, connectNative } from '../../src/temporal/connection.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { createWorker } from '../../src/worker.js';
import { pipelineStepQuery } from '../../src/workflows/messages.js';
import type { FleetStatus } from '../../src/workflows/retrain-fleet.js';
import { fleetWorkflowId } from '../../src/workflows/workflow-ids.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { testTemporal } from '../helpers/temporal.js';
import { waitFor } from '../helpers/wait.js';

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** [scheduled, closed] of a pipeline's train activity: the training process runs inside it. */
async function trainInterval(client: Client, workflowId: string): Promise<[number, number]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainCandidate');
  assert.ok(scheduled, `${workflowId} scheduled a training`);
  const id = Number(scheduled.eventId);
  const closed = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? e.activityTaskFailedEventAttributes?.scheduledEventId ?? -1) === id);
  assert.ok(closed, `${workflowId}'s training closed`);
  return [ms(scheduled.eventTime), ms(closed.eventTime)];
}

/** The most intervals open at one instant (an interval closing at t does not overlap one opening at t). */
function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of points) most = Math.max(most, (open += d));
  return most;
}

describe('fleet training limit on a real dev server', () => {
  it('4 models, 2 slots: never more than 2 train at once, the queue is FIFO and shown in status, and a worker restart mid-queue still trains all', async () => {
    const models = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'];
    const p = await makeProject({}, 1500, models[0]);
    const gate = path.join(p.dir, 'gate');
    const one = parse(readFileSync(p.configFile, 'utf8')) as { models: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    const model = one.models[models[0]!]!;
    model.trigger = { quietPeriod: '300ms' };
    model.train = { ...(model.train as object), command: fixtureCommand('gated-train.mjs'), env: { GATE_FILE: gate } };
    writeFileSync(p.configFile, stringify({ ...one, fleet: { maxConcurrentTrainings: 2 }, models: Object.fromEntries(models.map((m) => [m, model])) }));

    const t = await testTemporal();
    const { client } = t;
    // One task queue across both workers: the restart must find the same controllers, pipelines and fleet.
    const taskQueue = `test-${randomUUID()}`;
    const start = async () => {
      const worker = await createWorker({ connection: t.connection, namespace: t.target.namespace, taskQueue, deps: defaultDeps(p.configFile), workflowBundle: t.bundle });
      return { worker, running: worker.run() };
    };
    let w = await start();
    try {
      for (const m of models) await sendTrigger(client, { model: m, taskQueue, trigger: { reason: 'manual', source: 'test' } });

      // Two hold a slot (their trainer waits at the gate), two wait in the fleet's queue.
      const full: FleetStatus = await waitFor('2 trainings and 2 queued', async () => {
        const f = await fleetStatus(client, taskQueue);
        return f && f.holders.length === 2 && f.queue.length === 2 ? f : null;
      });
      assert.equal(full.limit, 2);
      const queued = full.queue[0]!;
      assert.equal(await client.workflow.getHandle(queued.workflowId).query(pipelineStepQuery), 'queue');
      const status = await controllerStatus(client, queued.model);
      assert.equal(status?.running?.workflowId, queued.workflowId, 'the queued model\'s controller shows the queued run');
      const place = await fleetPlace(client, queued.workflowId);
      assert.deepEqual(place, { position: 1, queued: 2, training: 2, limit: 2 });
      assert.equal(describePlace(place!), 'queued behind 2 trainings (position 1 of 2 waiting, limit 2)');
      assert.equal((await fleetPlace(client, full.queue[1]!.workflowId))?.position, 2);

      // Restart the worker while the queue is full: nothing lives in it but activities in flight.
      w.worker.shutdown();
      await w.running;
      w = await start();
      writeFileSync(gate, 'open');

      const done = await waitFor('every model trained', async () => {
        const all = await Promise.all(models.map((m) => controllerStatus(client, m)));
        return all.every((s) => s && s.recent.length >= 1 && s.phase === 'idle') ? all : null;
      });
      for (const s of done) assert.equal(s!.recent[0]!.outcome, 'promoted', `${s!.model}: ${s!.recent[0]!.reason}`);

      const runs = done.map((s) => s!.recent[0]!.workflowId);
      const intervals = await Promise.all(runs.map((id) => trainInterval(client, id)));
      assert.ok(maxOverlap(intervals) <= 2, `at most 2 trainings at once: ${JSON.stringify(intervals)}`);

      const after = (await fleetStatus(client, taskQueue))!;
      assert.deepEqual([after.holders, after.queue], [[], []], 'every slot was given back');
      assert.equal(after.counters.granted, 4);
      // FIFO by arrival at the fleet: the two holders, then the queue in the order it was shown.
      assert.deepEqual(after.grants.map((g) => g.workflowId), [...full.holders, ...full.queue].map((e) => e.workflowId));
      await recordHistory(client, queued.workflowId, 'pipeline-fleet-queued');
      await recordHistory(client, fleetWorkflowId(taskQueue), 'fleet-semaphore');
    } finally {
      for (const m of models) await client.workflow.getHandle(controllerId(m)).terminate('test finished').catch(() => {});
      await client.workflow.getHandle(fleetWorkflowId(taskQueue)).terminate('test finished').catch(() => {});
      w.worker.shutdown();
      await w.running.catch(() => {});
    }
  });

  it('a queued run that is cancelled leaves the queue, and a holder terminated mid-training is dropped by the safety net', async () => {
    const models = ['fleet-x', 'fleet-y', 'fleet-z'];
    const p = await makeProject({}, 1500, models[0]);
    const gate = path.join(p.dir, 'gate');
    const one = parse(readFileSync(p.configFile, 'utf8')) as { models: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    const model = one.models[models[0]!]!;
    model.trigger = { quietPeriod: '300ms' };
    model.train = { ...(model.train as object), command: fixtureCommand('gated-train.mjs'), env: { GATE_FILE: gate } };
    writeFileSync(p.configFile, stringify({ ...one, fleet: { maxConcurrentTrainings: 1 }, models: Object.fromEntries(models.map((m) => [m, model])) }));
    const t = await testTemporal();
    const { client } = t;
    const taskQueue = `test-${randomUUID()}`;
    const worker = await createWorker({ connection: t.connection, namespace: t.target.namespace, taskQueue, deps: defaultDeps(p.configFile), workflowBundle: t.bundle });
    const running = worker.run();
    try {
      for (const m of models) await sendTrigger(client, { model: m, taskQueue, trigger: { reason: 'manual', source: 'test' } });
      const full = await waitFor('1 training and 2 queued', async () => {
        const f = await fleetStatus(client, taskQueue);
        return f && f.holders.length === 1 && f.queue.length === 2 ? f : null;
      });
      const [holder] = full.holders;
      const [, last] = full.queue;
      // Cancelling a controller cancels its pipeline; the pipeline's finally gives its place back.
      await client.workflow.getHandle(controllerId(last!.model)).cancel();
      await waitFor('the cancelled run to leave the queue', async () => {
        const f = await fleetStatus(client, taskQueue);
        return f && f.queue.length === 1 && !f.queue.some((q) => q.workflowId === last!.workflowId) ? f : null;
      });
      // Terminated: no finally runs, so only the fleet's describe of its holders frees the slot.
      await client.workflow.getHandle(holder!.workflowId).terminate('test: a holder that never releases');
      const next = await waitFor('the safety net to pass the slot on', async () => {
        const f = await fleetStatus(client, taskQueue);
        return f && f.holders.length === 1 && f.holders[0]!.workflowId === full.queue[0]!.workflowId ? f : null;
      }, 3 * 60_000);
      assert.ok(next.counters.dropped >= 1);
      writeFileSync(gate, 'open');
      const s = await waitFor('the last model trained', async () => {
        const st = await controllerStatus(client, full.queue[0]!.model);
        return st && st.recent.length >= 1 && st.phase === 'idle' ? st : null;
      });
      assert.equal(s.recent[0]!.outcome, 'promoted', s.recent[0]!.reason);
      const after = (await fleetStatus(client, taskQueue))!;
      assert.deepEqual([after.holders, after.queue], [[], []]);
    } finally {
      for (const m of models) await client.workflow.getHandle(controllerId(m)).terminate('test finished').catch(() => {});
      await client.workflow.getHandle(fleetWorkflowId(taskQueue)).terminate('test finished').catch(() => {});
      worker.shutdown();
      await running.catch(() => {});
    }
  });

  it('the queue survives a dev server restart on the same SQLite file', async () => {
    const models = ['fleet-r1', 'fleet-r2'];
    const p = await makeProject({}, 1500, models[0]);
    const gate = path.join(p.dir, 'gate');
    const one = parse(readFileSync(p.configFile, 'utf8')) as { models: Record<string, Record<string, unknown>> } & Record<string, unknown>;
    const model = one.models[models[0]!]!;
    model.trigger = { quietPeriod: '300ms' };
    model.train = { ...(model.train as object), command: fixtureCommand('gated-train.mjs'), env: { GATE_FILE: gate } };
    writeFileSync(p.configFile, stringify({ ...one, fleet: { maxConcurrentTrainings: 1 }, models: Object.fromEntries(models.map((m) => [m, model])) }));
    const t = await testTemporal();
    const dbFile = path.join(p.dir, 'temporal.sqlite');
    const first = await startDevServer({ dbFile, headless: true, port: 0 });
    const port = Number(first.address.split(':')[1]);
    const target = { address: first.address, namespace: 'default', uiUrl: undefined } as Parameters<typeof connectClient>[0];
    const client = await connectClient(target);
    const connection = await connectNative(target);
    const taskQueue = `test-${randomUUID()}`;
    // The worker runs through the restart and reconnects, as a production worker would.
    const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps: defaultDeps(p.configFile), workflowBundle: t.bundle });
    const running = worker.run();
    let second: Awaited<ReturnType<typeof startDevServer>> | undefined;
    try {
      for (const m of models) await sendTrigger(client, { model: m, taskQueue, trigger: { reason: 'manual', source: 'test' } });
      const before = await waitFor('1 training and 1 queued', async () => {
        const f = await fleetStatus(client, taskQueue);
        return f && f.holders.length === 1 && f.queue.length === 1 ? f : null;
      });
      await first.stop();
      await sleep(1000);
      second = await startDevServer({ dbFile, headless: true, port });
      const after = await waitFor('the fleet after the restart', () => fleetStatus(client, taskQueue));
      assert.deepEqual([after.holders.map((h) => h.workflowId), after.queue.map((q) => q.workflowId)], [before.holders.map((h) => h.workflowId), before.queue.map((q) => q.workflowId)]);
      writeFileSync(gate, 'open');
      for (const m of models) {
        const st = await waitFor(`${m} trained`, async () => {
          const s = await controllerStatus(client, m).catch(() => null);
          return s && s.recent.length >= 1 && s.phase === 'idle' ? s : null;
        });
        assert.equal(st.recent[0]!.outcome, 'promoted', st.recent[0]!.reason);
      }
      const end = (await fleetStatus(client, taskQueue))!;
      assert.deepEqual(end.grants.map((g) => g.workflowId), [...before.holders, ...before.queue].map((e) => e.workflowId));
    } finally {
      for (const m of models) await client.workflow.getHandle(controllerId(m)).terminate('test finished').catch(() => {});
      await client.workflow.getHandle(fleetWorkflowId(taskQueue)).terminate('test finished').catch(() => {});
      worker.shutdown();
      await running.catch(() => {});
      await connection.close();
      await client.connection.close();
      await (second ?? first).stop();
    }
  });
});
