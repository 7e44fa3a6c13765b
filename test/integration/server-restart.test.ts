import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { bundleWorkflowCode } from '@temporalio/worker';
import { parse, stringify } from 'yaml';
import { defaultDeps } from '../../src/activities/deps.js';
import { loadConfig } from '../../src/config/load.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { applySchedules } from '../../src/client/schedules.js';
import { scheduleId } from '../../src/workflows/workflow-ids.js';
import { connectClient, connectNative } from '../../src/temporal/connection.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { approveUpdate, pendingApprovalQuery } from '../../src/workflows/messages.js';
import { createWorker, WORKFLOWS_PATH } from '../../src/worker.js';
import { until } from '../helpers/wait.js';
import { makeProject } from '../helpers/project.js';

describe('dev server restart on the same SQLite file', () => {
  it('a controller waiting on triggers, an approval wait and a schedule all carry on; no trigger is lost', async () => {
    const p = await makeProject({}, 1500, 'restart-ctl');
    const model = parse(readFileSync(p.configFile, 'utf8')).models['restart-ctl'];
    const models = {
      'restart-ctl': { ...model, trigger: { quietPeriod: '25s', maxWait: '10m' } },
      'restart-appr': { ...model, promotion: { ...model.promotion, approval: { timeout: '30m' } } },
      'restart-sched': { ...model, schedule: { every: '10s', catchupWindow: '10s' } },
    };
    writeFileSync(p.configFile, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models }));
    const dbFile = path.join(p.dir, 'temporal.sqlite');
    const first = await startDevServer({ dbFile, headless: true, port: 0 });
    const port = Number(first.address.split(':')[1]);
    const target = { address: first.address, namespace: 'default', uiUrl: undefined } as Parameters<typeof connectClient>[0];
    const bundle = process.env.RETRAIN_TEST_BUNDLE ? { code: readFileSync(process.env.RETRAIN_TEST_BUNDLE, 'utf8') } : await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
    const client = await connectClient(target);
    const connection = await connectNative(target);
    const taskQueue = `restart-${Date.now()}`;
    // The worker keeps running through the restart, as a production worker would, and reconnects.
    const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps: defaultDeps(p.configFile), workflowBundle: bundle });
    const running = worker.run();
    let second: Awaited<ReturnType<typeof startDevServer>> | undefined;
    try {
      const trigger = (i: number) => sendTrigger(client, { model: 'restart-ctl', taskQueue, trigger: { reason: 'new_data', source: 'test', idempotencyKey: `t-${i}` } });
      for (let i = 0; i < 5; i++) await trigger(i);
      const appr = await client.workflow.start(retrainPipeline, { taskQueue, workflowId: `retrain/restart-appr/${Date.now()}`, args: [{ model: 'restart-appr', triggers: [{ reason: 'manual', source: 'test' }] }] });
      const pending = await until('the approval wait', () => appr.query(pendingApprovalQuery));
      await applySchedules(client, loadConfig(p.configFile), { taskQueue });
      const sched = client.schedule.getHandle(scheduleId('restart-sched'));
      await until('a first scheduled action', async () => (await sched.describe()).info.numActionsTaken >= 1);
      const actionsBefore = (await sched.describe()).info.numActionsTaken;
      assert.equal((await controllerStatus(client, 'restart-ctl'))?.phase, 'waiting');

      await first.stop();
      await sleep(1000);
      second = await startDevServer({ dbFile, headless: true, port });
      assert.equal(second.address, first.address, 'the server came back on the same address');

      for (let i = 5; i < 8; i++) await until(`trigger ${i} after the restart`, () => trigger(i));
      await until('the approval wait after the restart', () => appr.query(pendingApprovalQuery));
      await appr.executeUpdate(approveUpdate, { args: [{ version: pending.version, approver: 'erin' }] });
      const r = await appr.result();
      assert.equal(r.outcome, 'promoted', r.reason);
      assert.equal(await new LocalRegistry(path.join(p.dir, '.retrain', 'registry')).getAlias('restart-appr', 'champion'), pending.version);

      const status = await until('the coalesced run of all 8 triggers', async () => {
        const s = await controllerStatus(client, 'restart-ctl');
        return s && s.recent.length >= 1 && s.phase === 'idle' ? s : null;
      });
      assert.equal(status.counters.received, 8, 'every trigger, before and after the restart, reached the controller');
      assert.equal(status.counters.runs, 1);
      assert.equal(status.recent[0]!.triggers.total, 8, 'one run answered all of them');
      assert.equal(status.recent[0]!.outcome, 'promoted', status.recent[0]!.reason);
      await until('a scheduled action after the restart', async () => (await sched.describe()).info.numActionsTaken > actionsBefore);
    } finally {
      await deleteSchedule(client).catch(() => {});
      for (const m of Object.keys(models)) await client.workflow.getHandle(controllerId(m)).terminate('test finished').catch(() => {});
      worker.shutdown();
      await running.catch(() => {});
      await connection.close();
      await client.connection.close();
      await (second ?? first).stop();
    }
  });
});

const deleteSchedule = (client: Awaited<ReturnType<typeof connectClient>>) => client.schedule.getHandle(scheduleId('restart-sched')).delete();
