import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps } from '../../src/activities/deps.js';
import { listRunRecords, recordWorkflow, reportFileOf, runRecordFile } from '../../src/audit/audit-log.js';
import { buildRunReport } from '../../src/report/write-report.js';
import { createQuickSteps } from '../../src/activities/quick-steps.js';
import { quickCheckId } from '../../src/workflows/workflow-ids.js';
import { GRANULARITY_NS } from '../../src/data/stat-cache.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { requestRun } from '../../src/client/pipeline-run.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { withWorker } from '../helpers/temporal.js';
import { settled } from '../helpers/wait.js';

// How a quick check (the tick's or the controller's) could lie: skip on data it did not look at (a file
// changed since its last hash), skip when a rule needed drift it never computed, leave no audit record,
// answer a waiter with a run that does not exist, or skip a run that was asked for by hand.

/** Pipeline runs the model's controller started, from its history. */
async function pipelinesStarted(client: Client, model: string): Promise<string[]> {
  const events = (await client.workflow.getHandle(controllerId(model)).fetchHistory()).events ?? [];
  return events.flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId!] : []));
}

const tick = async (client: Client, taskQueue: string, model: string, n: number) => {
  const h = await client.workflow.start('scheduledTrigger', { taskQueue, workflowId: `retrain-schedule/${model}/tick-${Date.now()}-${n}`, args: [{ model }] });
  await h.result();
};

/**
 * The stat cache does not vouch for a file changed within its timestamp granularity of being hashed
 * (stat-cache.ts, 2 s); data of a real fleet is older than that when a check reads it.
 */
async function project(model: string, overrides: Record<string, unknown> = {}): Promise<TestProject> {
  const p = await makeProject({ trigger: { quietPeriod: '0s', maxWait: '0s' }, ...overrides }, 1500, model);
  await sleep(Number(GRANULARITY_NS / 1_000_000n) + 100);
  return p;
}

describe("quick checks before a pipeline: the tick's and the controller's (real dev server)", () => {
  it('a tick on unchanged data records the skip itself; a signal nobody waits on is skipped by the controller; no pipeline runs', async () => {
    const p = await project('quick-a');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      await tick(client, taskQueue, p.model, 1);
      const first = await settled(client, p.model, 1);
      assert.equal(first.recent[0]!.outcome, 'promoted', 'no production model yet: the tick and the controller leave it to a pipeline');

      // The tick: unchanged data is skipped whatever the controller remembers, so it is not woken.
      const h = await client.workflow.start('scheduledTrigger', { taskQueue, workflowId: `retrain-schedule/${p.model}/tick-${Date.now()}-2`, args: [{ model: p.model }] });
      const ticked = (await h.result()) as { controllerId: string; skipped?: { checkId: string; reason: string } };
      assert.match(ticked.skipped?.checkId ?? '', /^retrain-check\/quick-a\//);
      assert.match(ticked.skipped!.reason, /data and params unchanged since production v1/);
      await recordHistory(client, h.workflowId, 'scheduled-trigger-skip');
      const stateDir = path.join(p.dir, '.retrain');
      let records = await listRunRecords(stateDir, p.model);
      assert.equal(records.length, 2);
      const r = records[1]!;
      assert.equal(r.decidedIn, 'schedule');
      assert.equal(r.workflowId, ticked.skipped!.checkId);
      assert.equal(r.result.outcome, 'skipped');
      assert.equal(r.check!.fingerprint.sha256, records[0]!.check!.fingerprint.sha256, 'the skip names the data it looked at');
      assert.equal(r.check!.dataUnchanged, true);
      assert.equal(r.triggers[0]!.reason, 'schedule');
      assert.deepEqual(recordWorkflow(r), { workflowId: h.workflowId, temporalRunId: (await h.describe()).runId }, 'its Web UI link is the tick run');
      // One file per check: the skip's HTML page is written on demand, and renders from the record alone.
      const recordFile = runRecordFile(stateDir, r);
      assert.ok(existsSync(recordFile));
      assert.equal(existsSync(reportFileOf(recordFile)), false, 'no HTML page written for a quick skip');
      assert.match(await buildRunReport(r, {}), /data and params unchanged since production v1/);
      assert.ok(existsSync(reportFileOf(runRecordFile(stateDir, records[0]!))), "a pipeline run's page is written as before");
      const quiet = await controllerStatus(client, p.model);
      assert.equal(quiet!.counters.received, 1, 'the controller heard only the first tick');
      // A retried attempt of the tick's activity (it wrote, then timed out) rewrites the same record, never a second one.
      const again = { model: p.model, trigger: { reason: 'schedule' as const, source: 'test' }, startedAt: new Date().toISOString(), by: { workflowId: 'retried-tick', temporalRunId: 'r' } };
      const steps = createQuickSteps(defaultDeps(p.configFile));
      assert.equal((await steps.skipIfUnchanged(again)).skipped?.checkId, (await steps.skipIfUnchanged(again)).skipped?.checkId);
      assert.equal((await listRunRecords(stateDir, p.model)).length, 3);
      rmSync(runRecordFile(stateDir, { model: p.model, startedAt: again.startedAt, workflowId: quickCheckId(p.model, new Date(again.startedAt)) }));

      // A signal without a waiter on unchanged data: the controller's quick check skips it, no pipeline.
      await sendTrigger(client, { model: p.model, taskQueue, trigger: { reason: 'new_data', source: 'test' } });
      const status = await settled(client, p.model, 2);
      const skip = status.recent[0]!;
      assert.equal(skip.outcome, 'skipped', skip.reason);
      assert.equal(skip.decidedIn, 'controller');
      assert.match(skip.workflowId, /^retrain-check\/quick-a\//);
      assert.equal(status.counters.quickSkips, 1);
      assert.equal(status.counters.runs, 1, 'runs counts pipeline runs only');
      assert.equal((await pipelinesStarted(client, p.model)).length, 1, 'one pipeline: the first tick');
      records = await listRunRecords(stateDir, p.model);
      assert.equal(records.length, 3);
      const c = records[2]!;
      assert.equal(c.decidedIn, 'controller');
      assert.equal(c.workflowId, skip.workflowId);
      assert.equal(c.triggers[0]!.reason, 'new_data');
      const held = recordWorkflow(c);
      assert.equal(held.workflowId, controllerId(p.model));
      assert.equal((await client.workflow.getHandle(held.workflowId, held.temporalRunId).describe()).runId, held.temporalRunId);
      await recordHistory(client, controllerId(p.model), 'controller-quick-skip');
    });
  });

  it('data changed since its last hash: the controller does not decide; a pipeline hashes it and decides', async () => {
    const p = await project('quick-b');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      await tick(client, taskQueue, p.model, 1);
      await settled(client, p.model, 1);
      // Same size and mtime would be the stat cache's business (its own tests); here the file grows.
      const file = path.join(p.dataDir, 'current.csv');
      appendFileSync(file, `${readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)!}\n`);
      await tick(client, taskQueue, p.model, 2);
      const status = await settled(client, p.model, 2);
      const run = status.recent[0]!;
      assert.equal(run.decidedIn, undefined, run.reason);
      assert.match(run.workflowId, /^retrain\/quick-b\//, 'a pipeline ran');
      assert.match(run.reason, /no rule fired|retrain/, 'the pipeline decided on the new data');
      assert.equal((await pipelinesStarted(client, p.model)).length, 2);
      assert.equal(status.counters.quickSkips, 0);
    });
  });

  it('a rule that needs drift leaves the decision to a pipeline, which computes it', async () => {
    const p = await project('quick-c', { trigger: { quietPeriod: '0s', maxWait: '0s', skipUnchangedData: false, dataDrift: true } });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      await tick(client, taskQueue, p.model, 1);
      await settled(client, p.model, 1);
      await tick(client, taskQueue, p.model, 2);
      const status = await settled(client, p.model, 2);
      const run = status.recent[0]!;
      assert.match(run.workflowId, /^retrain\/quick-c\//, 'a pipeline ran');
      assert.equal(run.outcome, 'skipped', run.reason);
      assert.match(run.reason, /no rule fired/);
      const records = await listRunRecords(path.join(p.dir, '.retrain'), p.model);
      assert.ok(records[1]!.check!.drift, 'the pipeline computed the drift the rule reads');
    });
  });

  // How retention could lie: delete a pipeline run's record (the "why did it retrain" answer), delete a recent skip,
  // or leave an old skip's on-demand page behind.
  it("audit.keepQuickSkips: a quick skip's write prunes the model's older quick skips, never a pipeline run's record", async () => {
    const p = await project('quick-e');
    const config = parse(readFileSync(p.configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(p.configFile, stringify({ ...config, audit: { keepQuickSkips: '1d' } }));
    const stateDir = path.join(p.dir, '.retrain');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      await tick(client, taskQueue, p.model, 1);
      await settled(client, p.model, 1);
      const [run] = await listRunRecords(stateDir, p.model);
      // Planted: a pipeline run and a quick skip (with its page) from 40 days ago, and a quick skip from an hour ago.
      const at = (ms: number) => new Date(Date.now() - ms).toISOString();
      const oldRun = { ...run!, startedAt: at(40 * 86_400_000), workflowId: `retrain/${p.model}/${at(40 * 86_400_000)}` };
      const oldSkip = { ...run!, startedAt: at(40 * 86_400_000), workflowId: quickCheckId(p.model, new Date(at(40 * 86_400_000))), decidedIn: 'schedule' as const };
      const recentSkip = { ...run!, startedAt: at(3_600_000), workflowId: quickCheckId(p.model, new Date(at(3_600_000))), decidedIn: 'schedule' as const };
      for (const r of [oldRun, oldSkip, recentSkip]) writeFileSync(runRecordFile(stateDir, r), JSON.stringify(r));
      writeFileSync(reportFileOf(runRecordFile(stateDir, oldSkip)), '<html></html>');

      await tick(client, taskQueue, p.model, 2);
      const ids = (await listRunRecords(stateDir, p.model)).map((r) => r.workflowId);
      assert.ok(ids.includes(oldRun.workflowId), "a pipeline run's record is kept, however old");
      assert.ok(ids.includes(run!.workflowId));
      assert.ok(ids.includes(recentSkip.workflowId), 'a skip younger than keepQuickSkips is kept');
      assert.equal(ids.includes(oldSkip.workflowId), false, 'the 40-day-old quick skip is gone');
      assert.equal(existsSync(reportFileOf(runRecordFile(stateDir, oldSkip))), false, 'and its page with it');
      assert.equal(ids.filter((id) => id.startsWith('retrain-check/')).length, 2, "the recent skip and the tick's own");
    });
  });

  it('a trigger somebody waits on always gets a pipeline run, even when it skips', async () => {
    const p = await project('quick-d');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      await tick(client, taskQueue, p.model, 1);
      await settled(client, p.model, 1);
      const answer = await requestRun(client, { model: p.model, reason: 'schedule', source: 'test', taskQueue, pollMs: 100 });
      assert.equal(answer.state, 'finished');
      if (answer.state !== 'finished') return;
      assert.match(answer.workflowId, /^retrain\/quick-d\//);
      assert.equal(answer.result.outcome, 'skipped');
      assert.equal((await pipelinesStarted(client, p.model)).length, 2);
    });
  });
});
