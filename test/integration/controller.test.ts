import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { execa } from 'execa';
import { generate } from '../../examples/churn/generate.js';
import { defaultDeps } from '../../src/activities/deps.js';
import { listRunRecords, type RunRecord } from '../../src/audit/audit-log.js';
import { loadConfig } from '../../src/config/load.js';
import { applySchedules } from '../../src/client/schedules.js';
import { findTemporalCli, PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { pipelineStepQuery } from '../../src/workflows/messages.js';
import type { ControllerStatus } from '../../src/workflows/retrain-controller.js';
import type { TriggerReason } from '../../src/workflows/types.js';
import { fixtureCommand, makeProject, type TestProject } from '../helpers/project.js';
import { testTemporal, withWorker } from '../helpers/temporal.js';
import { recordHistory } from '../helpers/record-history.js';
import { settled, waitFor } from '../helpers/wait.js';

const records = (p: TestProject): Promise<RunRecord[]> => listRunRecords(path.join(p.dir, '.retrain'), p.model);

async function withController<T>(p: TestProject, fn: (ctx: { client: Client; taskQueue: string; trigger: (reason: TriggerReason, extra?: object) => Promise<unknown> }) => Promise<T>, maxHistoryEvents?: number) {
  return withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
    const trigger = (reason: TriggerReason, extra: object = {}) =>
      sendTrigger(client, { model: p.model, taskQueue, trigger: { reason, source: 'test', ...extra }, ...(maxHistoryEvents ? { maxHistoryEvents } : {}) });
    try {
      return await fn({ client, taskQueue, trigger });
    } finally {
      await recordHistory(client, controllerId(p.model), `controller-${p.model}`);
      await client.workflow.getHandle(controllerId(p.model)).terminate('test finished').catch(() => {});
    }
  });
}

describe('model controller on a real dev server', () => {
  it('coalesces a burst of 50 triggers into one run carrying every reason, counts duplicates once, and keeps them across continue-as-new', async () => {
    const p = await makeProject({ trigger: { quietPeriod: '4s', maxWait: '5m' } }, 1500, 'burst');
    await withController(p, async ({ client, trigger }) => {
      const reasons: TriggerReason[] = ['new_data', 'drift_alert', 'manual', 'business_change', 'performance_alert'];
      for (let i = 0; i < 50; i++) await trigger(reasons[i % 5]!, { idempotencyKey: `burst-${i}` });
      for (let i = 0; i < 5; i++) await trigger('new_data', { idempotencyKey: 'burst-0' });
      const s = await settled(client, 'burst', 1);
      await sleep(5000);
      const after: ControllerStatus = (await controllerStatus(client, 'burst'))!;
      assert.equal(after.counters.runs, 1, 'exactly one run');
      assert.equal(after.counters.received, 55);
      assert.equal(after.counters.duplicates, 5);
      assert.ok(after.counters.continuedAsNew >= 1, 'a small history limit forced continue-as-new while triggers were pending');
      const run = s.recent[0]!;
      assert.equal(run.outcome, 'promoted', run.reason);
      assert.deepEqual(run.triggers, { total: 50, byReason: { new_data: 10, drift_alert: 10, manual: 10, business_change: 10, performance_alert: 10 } });
      const [record] = await records(p);
      assert.equal(record?.coalesced.total, 50);
      assert.equal(record?.parentWorkflowId, controllerId('burst'));
      assert.match(record!.workflowId, /^retrain\/burst\/\d{4}-\d\d-\d\dT/);
    }, 40);
  });

  it('queues exactly one follow-up run for triggers that arrive while a pipeline runs', async () => {
    const p = await makeProject({}, 1500, 'followup');
    const gate = path.join(p.dir, 'gate');
    p.writeConfig({ trigger: { quietPeriod: '1s' }, train: { command: fixtureCommand('gate.mjs'), env: { GATE_FILE: gate } } });
    await withController(p, async ({ client, trigger }) => {
      await trigger('manual');
      const running = await waitFor('the first run to reach train', async () => {
        const s = await controllerStatus(client, 'followup');
        if (!s?.running) return null;
        const step = await client.workflow.getHandle(s.running.workflowId).query(pipelineStepQuery).catch(() => null);
        return step === 'train' ? s : null;
      });
      for (const reason of ['new_data', 'drift_alert', 'new_data'] as const) await trigger(reason);
      await sleep(2500);
      const mid = (await controllerStatus(client, 'followup'))!;
      assert.equal(mid.running?.workflowId, running.running!.workflowId, 'the first run is still the only one');
      assert.equal(mid.pending.total, 3);
      writeFileSync(gate, 'open');
      const s = await settled(client, 'followup', 2);
      await sleep(2000);
      const after = (await controllerStatus(client, 'followup'))!;
      assert.equal(after.counters.runs, 2, 'one run plus one follow-up');
      assert.deepEqual(after.recent[0]!.triggers, { total: 3, byReason: { new_data: 2, drift_alert: 1 } });
      assert.equal(s.recent[1]!.outcome, 'failed');
      assert.match(s.recent[1]!.reason, /TrainingCommandError/);
    });
  });

  it('decides from evidence: drift below threshold skips, consecutive breaches are remembered, drift and a relative performance drop retrain', async () => {
    const p = await makeProject({}, 1500, 'policy');
    const current = path.join(p.dataDir, 'current.csv');
    p.writeConfig({ trigger: { quietPeriod: '300ms', consecutiveBreaches: 2 } });
    await withController(p, async ({ client, trigger }) => {
      await trigger('manual');
      assert.equal((await settled(client, 'policy', 1)).recent[0]!.outcome, 'promoted');

      await generate({ rows: 1500, seed: 3, shift: 0, out: current });
      await trigger('schedule');
      const quiet = (await settled(client, 'policy', 2)).recent[0]!;
      assert.equal(quiet.outcome, 'skipped');
      assert.match(quiet.reason, /no rule fired: .*% of columns drifted/);

      await generate({ rows: 1500, seed: 4, shift: 1.5, out: current });
      await trigger('schedule');
      const first = (await settled(client, 'policy', 3)).recent[0]!;
      assert.equal(first.outcome, 'skipped');
      assert.match(first.reason, /breach 1 of 2 needed: [\d.]+% of columns drifted/);
      await trigger('schedule');
      const second = (await settled(client, 'policy', 4)).recent[0]!;
      assert.notEqual(second.outcome, 'skipped', second.reason);

      // The production model now scores far below the metric it was promoted with.
      p.writeConfig({ trigger: { quietPeriod: '300ms', consecutiveBreaches: 1, dataDrift: false, maxRelativeDrop: 0.05 } });
      const evalFile = path.join(p.dataDir, 'eval.csv');
      const [header, ...lines] = readFileSync(evalFile, 'utf8').trimEnd().split('\n');
      writeFileSync(evalFile, [header, ...lines.map((l) => l.replace(/,([01])$/, (_m, y: string) => `,${1 - Number(y)}`))].join('\n') + '\n');
      await generate({ rows: 1500, seed: 5, shift: 0, out: current });
      await trigger('schedule');
      await settled(client, 'policy', 5);
      const last = (await records(p)).at(-1)!;
      assert.equal(last.decision?.retrain, true, last.decision?.reason);
      const rule = last.decision!.rules.find((r) => r.rule === 'relative_drop')!;
      assert.equal(rule.fired, true);
      assert.ok((rule.measured as number) > 0.05, `drop ${rule.measured}`);
      assert.ok(last.check?.performance && last.check.performance.baseline! > last.check.performance.current);
    });
  });

  it('runs a short-interval Temporal Schedule through the controller; apply is idempotent and deletes removed schedules', async () => {
    const p = await makeProject({ trigger: { quietPeriod: '1s' }, schedule: { every: '3s' } }, 1500, 'sched');
    await withController(p, async ({ client, taskQueue }) => {
      const apply = async () => (await applySchedules(client, loadConfig(p.configFile), { taskQueue })).filter((c) => c.model === 'sched').map((c) => c.change);
      assert.deepEqual(await apply(), ['create']);
      assert.deepEqual(await apply(), ['unchanged']);
      // Ticks keep arriving every 3 s, so the controller may never be idle: wait for the first finished run only.
      const s = await waitFor('a finished run of sched', async () => {
        const st = await controllerStatus(client, 'sched');
        return st && st.recent.length >= 1 ? st : null;
      });
      assert.ok((s.recent.at(-1)!.triggers.byReason.schedule ?? 0) >= 1, JSON.stringify(s.recent));
      assert.match(s.recent.at(-1)!.workflowId, /^retrain\/sched\//);
      for await (const tick of client.workflow.list({ query: `TemporalScheduledById = "retrain-schedule/sched" AND ExecutionStatus = "Completed"` })) {
        await recordHistory(client, tick.workflowId, 'scheduled-trigger');
        break;
      }
      p.writeConfig({ trigger: { quietPeriod: '1s' }, schedule: undefined });
      assert.deepEqual(await apply(), ['delete']);
    });
  });

  it('takes a trigger sent with nothing but the temporal CLI, and history/explain tell its story', async () => {
    const p = await makeProject({ trigger: { quietPeriod: '500ms' } }, 1500, 'clisignal');
    const { target } = await testTemporal();
    await withController(p, async ({ client, taskQueue }) => {
      await execa(findTemporalCli()!, [
        'workflow', 'signal-with-start', '--address', target.address,
        '--workflow-id', controllerId('clisignal'), '--type', 'retrainController', '--task-queue', taskQueue,
        '--input', JSON.stringify({ model: 'clisignal' }),
        '--signal-name', 'trigger', '--signal-input', JSON.stringify({ reason: 'drift_alert', source: 'temporal-cli', details: { monitor: 'evidently' } }),
      ]);
      const run = (await settled(client, 'clisignal', 1)).recent[0]!;
      assert.equal(run.outcome, 'promoted', run.reason);
      const [record] = await records(p);
      const cli = (...args: string[]) =>
        execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env: { RETRAIN_CONFIG: p.configFile } });
      const history = (await cli('history', 'clisignal', '--since', '1d', '--trigger', 'drift_alert')).stdout;
      assert.match(history, /drift_alert/);
      assert.match(history, new RegExp(record!.check!.fingerprint.sha256.slice(0, 12)));
      const explained = (await cli('explain', run.workflowId)).stdout;
      assert.match(explained, /drift_alert from temporal-cli/);
      assert.match(explained, /"monitor":"evidently"/);
      assert.match(explained, new RegExp(`sha256 ${record!.check!.fingerprint.sha256}`));
      assert.match(explained, /decision: retrain — no production model yet/);
      assert.match(explained, /outcome: promoted/);
      assert.equal((await cli('history', 'clisignal', '--trigger', 'schedule')).stdout.trim(), 'no runs recorded yet');
    });
  });
});
