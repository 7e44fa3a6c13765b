import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { requestRun } from '../../src/client/pipeline-run.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { makeProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { defaultDeps, testTemporal, withWorker } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

/**
 * Issue 13, item 3: `retrain run`, `npm start` and `retrain trigger` all go through the model's
 * controller, so its one-run-at-a-time gate holds whichever way a run is asked for.
 */
describe('one way in: every run goes through the model controller (real dev server)', () => {
  it('two `run --force` callers and a forced trigger at once: every caller gets a result, no two pipeline runs of the model overlap', async () => {
    const model = 'oneway';
    const p = await makeProject({ trigger: { quietPeriod: '1s' } }, 1500, model);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        const run = (source: string) => requestRun(client, { model, source, force: true, taskQueue });
        const [a, b] = await Promise.all([run('retrain run (1)'), run('retrain run (2)'), sendTrigger(client, { model, taskQueue, trigger: { reason: 'manual', source: 'retrain trigger', force: true } })]);
        for (const answer of [a, b]) {
          assert.equal(answer.state, 'finished');
          if (answer.state !== 'finished') return;
          assert.ok(['promoted', 'rejected', 'skipped'].includes(answer.result.outcome), `${answer.result.outcome}: ${answer.result.reason}`);
          assert.match(answer.workflowId, /^retrain\/oneway\//);
        }
        const status = await until('the controller to be idle with nothing pending', async () => {
          const s = await controllerStatus(client, model);
          return s && s.phase === 'idle' && s.pending.total === 0 && s.counters.runs >= 1 ? s : null;
        });
        assert.equal(status.counters.received, 3);
        const records = await listRunRecords(path.join(p.dir, '.retrain'), model);
        assert.equal(records.length, status.counters.runs, 'one audit record per run');
        assert.ok(records.length <= 2, `${records.length} runs: the first plus at most one follow-up`);
        assert.equal(records.reduce((n, r) => n + r.coalesced.total, 0), 3, 'every trigger answered by a run');
        for (const r of records) assert.equal(r.parentWorkflowId, controllerId(model), `${r.workflowId} was started by the controller`);
        const answered = new Set([a, b].map((x) => (x.state === 'finished' ? x.workflowId : '')));
        for (const id of answered) assert.ok(records.some((r) => r.workflowId === id), `${id} is one of the controller's runs`);

        // Start and close times as Temporal recorded them: sorted by start, each closes before the next starts.
        const intervals = await Promise.all(records.map(async (r) => {
          const d = await client.workflow.getHandle(r.workflowId).describe();
          return { id: r.workflowId, start: d.startTime.getTime(), close: d.closeTime!.getTime() };
        }));
        intervals.sort((x, y) => x.start - y.start);
        for (let i = 1; i < intervals.length; i++) {
          assert.ok(intervals[i - 1]!.close <= intervals[i]!.start, `overlap: ${JSON.stringify(intervals)}`);
        }
      } finally {
        await recordHistory(client, controllerId(model), 'controller-oneway');
        await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
      }
    });
  });

  it('`retrain run` (spawned as a user runs it) still prints the run, its steps and the outcome, and the run is the controller\'s', async () => {
    const model = 'oneway-cli';
    const p = await makeProject({ trigger: { quietPeriod: '1s' } }, 1500, model);
    const t = await testTemporal();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      try {
        const env = { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: t.target.address, RETRAIN_TASK_QUEUE: taskQueue };
        const r = await execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'run', model], { env, reject: false });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.match(r.stdout, /^started retrain\/oneway-cli\/\d{4}-/m);
        assert.match(r.stdout, /^ {2}· (check|validate|train)/m);
        assert.match(r.stdout, /^PROMOTED: /m);
        assert.match(r.stdout, /candidate v1: auc /);
        const workflowId = /^started (\S+)/m.exec(r.stdout)![1]!;
        const s = await until('the controller to record the run', async () => {
          const st = await controllerStatus(client, model);
          return st?.recent.some((x) => x.workflowId === workflowId) ? st : null;
        });
        assert.equal(s.counters.runs, 1);
        const json = await execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'run', model, '--json'], { env, reject: false });
        assert.equal(json.exitCode, 0, json.stderr);
        const out = JSON.parse(json.stdout) as { workflowId: string; outcome: string };
        assert.equal(out.outcome, 'skipped', 'data and params unchanged: the controller\'s run skips');
        assert.match(out.workflowId, /^retrain\/oneway-cli\//);

        // Trigger limits at the CLI: a clear error, exit 2, nothing sent.
        const cli = (...args: string[]) => execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env, reject: false });
        const big = await cli('trigger', model, '--details', JSON.stringify({ blob: 'x'.repeat(9000) }));
        assert.equal(big.exitCode, 2, big.stderr);
        assert.match(big.stderr, /--details: 9011 bytes as JSON, at most 8192/);
        const longKey = await cli('trigger', model, '--key', 'k'.repeat(300));
        assert.equal(longKey.exitCode, 2, longKey.stderr);
        assert.match(longKey.stderr, /trigger idempotencyKey: 300 characters, at most 200/);
        assert.equal((await controllerStatus(client, model))!.counters.received, 2, 'refused triggers never reached the controller');
      } finally {
        await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
      }
    });
  });
});
