import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import { createControllerSteps } from '../../src/activities/controller-steps.js';
import { sendTrigger, controllerId, controllerStatus } from '../../src/client/controller.js';
import { parseConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import type { CheckResult } from '../../src/activities/types.js';
import type { ControllerStatus } from '../../src/workflows/retrain-controller.js';
import { testTemporal } from '../helpers/temporal.js';
import { settled, waitFor } from '../helpers/wait.js';

/*
 * Issue 16 item 7: the controller's timing logic (quiet period, a run at a time, the follow-up run) with every
 * activity mocked: no data, no training command, no registry. Temporal's time-skipping test server cannot be
 * downloaded here (its host is unreachable and it is not in ~/.cache/temporal-retrain/), so this runs on the dev
 * server `npm test` starts, with the real workflow bundle, and drives time with short durations. Assertions are on
 * counts and order, never on how long something took.
 */

const FINGERPRINT = { sha256: 'ab'.repeat(32), files: 1, bytes: 10, rows: 5, schema: [] };

function mockedActivities(model: string, quietPeriod: string) {
  const dir = path.join('/nonexistent', randomUUID());
  const plan = planModel(
    parseConfig(
      {
        version: 1,
        models: {
          [model]: {
            data: { current: 'c.csv', evaluation: 'e.csv', target: 'y' },
            train: { command: ['train'] },
            evaluate: { command: ['eval'] },
            promotion: { metric: 'auc' },
            trigger: { quietPeriod, maxWait: '1m' },
          },
        },
      },
      path.join(dir, 'retrain.config.yaml'),
    ),
    model,
  );
  const trainings: { start: number; end: number }[] = [];
  let version = 0;
  /** The train step waits until the test lets it go: a run the test can hold "in flight". */
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  const hold = () => (gate = new Promise((r) => (release = r)));
  const check: CheckResult = { fingerprint: FINGERPRINT, production: null, dataUnchanged: false, paramsUnchanged: false, drift: null, predictionDrift: null, performance: null, newRows: 5 };
  const activities: Partial<Record<keyof Activities, (...args: never[]) => Promise<unknown>>> = {
    ...createControllerSteps(),
    planRun: async () => plan,
    checkData: async () => check,
    snapshotData: async () => ({ source: plan.data.current, location: plan.data.current, fingerprint: FINGERPRINT, reused: true }),
    validateData: async () => ({ passed: true, violations: [] }),
    snapshotAndValidate: async () => ({ snapshot: { source: plan.data.current, location: plan.data.current, fingerprint: FINGERPRINT, reused: true }, report: { passed: true, violations: [] } }),
    trainCandidate: async () => {
      const t = { start: Date.now(), end: 0 };
      trainings.push(t);
      await gate;
      t.end = Date.now();
      return { outputDir: dir, artifactDir: dir, artifact: { sha256: 'cd'.repeat(32), uri: 'mock:model', store: 'mock' }, trainMetrics: {}, durationMs: 1 };
    },
    evaluateModels: async () => ({ candidate: { auc: 0.8 }, production: null, evaluationSha256: 'ef'.repeat(32), comparison: null }),
    registerCandidate: async () => ({ model, version: ++version, recordId: 'x', workflowId: 'x' }),
    promoteVersion: async () => ({ moved: true, move: { model, alias: 'production', from: null, to: version, at: new Date().toISOString(), actor: 'pipeline', reason: 'mock' } }),
    recordRun: async () => path.join(dir, 'record.json'),
    notify: async () => undefined,
  };
  return { activities, trainings, hold, release: () => release() };
}

describe('controller with mocked activities, on the dev server', () => {
  it('coalesces triggers within the quiet period into one run, and a trigger during a run into one follow-up, never two at once', async () => {
    const t = await testTemporal();
    const model = `mocked-${randomUUID().slice(0, 8)}`;
    const taskQueue = `test-${randomUUID()}`;
    const mocks = mockedActivities(model, '2s');
    const worker = await Worker.create({ connection: t.connection, namespace: t.target.namespace, taskQueue, workflowBundle: t.bundle, activities: mocks.activities });
    const trigger = (key: string) => sendTrigger(t.client, { model, taskQueue, trigger: { reason: 'manual', source: 'test', idempotencyKey: key } });
    const status = async (): Promise<ControllerStatus> => (await controllerStatus(t.client, model))!;
    try {
      await worker.runUntil(async () => {
        void mocks.hold();
        // A burst inside the 2 s quiet period: one run answers all three.
        for (const key of ['a', 'b', 'c']) await trigger(key);
        await waitFor('the first run to train', async () => mocks.trainings.length === 1);
        assert.equal((await status()).phase, 'running');
        // Two more while it trains: they wait, and become one follow-up after it.
        await trigger('d');
        await trigger('e');
        await sleep(2500); // past the quiet period: the controller must still not start a second run
        assert.equal(mocks.trainings.length, 1, 'no second run while one is in flight');
        mocks.release();
        const s = await settled(t.client, model, 2);
        assert.equal(mocks.trainings.length, 2);
        assert.ok(mocks.trainings[1]!.start >= mocks.trainings[0]!.end, 'the follow-up trained after the first run ended');
        assert.deepEqual(s.recent.map((r) => r.triggers.total).sort(), [2, 3]);
        assert.deepEqual(s.recent.map((r) => r.outcome), ['promoted', 'promoted']);
        assert.equal(s.counters.received, 5);
      });
    } finally {
      await t.client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
    }
  });
});
