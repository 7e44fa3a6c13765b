import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps } from '../../src/activities/deps.js';
import { loadConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { decideRetrain, type PolicyMemory } from '../../src/policy/trigger-policy.js';
import { backtestWorkflow, retrainPipeline } from '../../src/workflows/index.js';
import type { BacktestInput, BacktestResult } from '../../src/workflows/backtest.js';
import { generate } from '../../examples/churn/generate.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { randomUUID } from 'node:crypto';
import { createWorker } from '../../src/worker.js';
import { backtestProgressQuery } from '../../src/workflows/messages.js';
import { recordHistory } from '../helpers/record-history.js';
import { testTemporal, withWorker } from '../helpers/temporal.js';
import { renderBacktest } from '../../src/report/backtest-report.js';
import { drawnShapes, loadPage } from '../helpers/browser.js';

/** Every file under the state folder's registry, runs and audit trail, with a hash of its bytes. */
function durableState(stateDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else out[path.relative(stateDir, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
    }
  };
  for (const sub of ['registry', 'runs', 'audit']) walk(path.join(stateDir, sub));
  return out;
}

/** Partitions 0..n-1 of churn data with these shifts (drift), rows each, under data/by_month. */
async function partitions(p: TestProject, shifts: number[], rows: number): Promise<string> {
  for (const [i, shift] of shifts.entries()) {
    await generate({ rows, seed: 100 + i, shift, out: path.join(p.dataDir, 'by_month', `2025-${String(i + 1).padStart(2, '0')}.csv`), startId: 1 + i * rows });
  }
  return path.join(p.dataDir, 'by_month', '*.csv');
}

/** The proof: decideRetrain by hand on each row's evidence, with the memory rules written out, gives the same decisions. */
function assertDecisionsByHand(p: TestProject, result: BacktestResult) {
  const policy = planModel(loadConfig(p.configFile), p.model).trigger;
  let memory: PolicyMemory = { lastRetrainAt: null, breaches: 0 };
  let version = 1;
  for (const row of result.rows) {
    assert.equal(row.productionVersion, version);
    const d = decideRetrain(policy, row.evidence, { reasons: ['schedule'], force: false, explicit: [], nowMs: Date.parse(row.at) }, memory);
    assert.deepEqual({ retrain: row.retrain, reason: row.reason, breaches: row.breaches, rules: row.rules }, { retrain: d.retrain, reason: d.reason, breaches: d.breaches, rules: d.rules });
    memory = d.retrain ? { lastRetrainAt: row.at, breaches: 0 } : { ...memory, breaches: d.breaches };
    if (d.retrain) version++;
  }
}

let seq = 0;
/** Runs a backtest; with `record`, its history is kept for the replay test (RETRAIN_RECORD_HISTORIES=1). */
async function run(client: Client, taskQueue: string, input: BacktestInput, record?: string): Promise<BacktestResult> {
  const workflowId = `backtest/${input.model}/test-${Date.now()}-${seq++}`;
  const result = await client.workflow.execute(backtestWorkflow, { taskQueue, workflowId, args: [input] });
  if (record) await recordHistory(client, workflowId, record);
  return result;
}

describe('retrain backtest (real dev server)', () => {
  it('without --train: when the policy fires and why, equal to decideRetrain by hand, deterministic, nothing written to the registry, runs or audit', async () => {
    const p = await makeProject({ trigger: { dataDrift: true, consecutiveBreaches: 2, cooldown: '40d' } });
    const glob = await partitions(p, [0, 0, 1.5, 1.5, 1.5, 0, 1.5, 1.5], 300);
    const stateDir = path.join(p.dir, '.retrain');
    const before = durableState(stateDir);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const input: BacktestInput = { model: p.model, partitions: glob, order: { by: 'name', step: '30d' }, train: false };
      const result = await run(client, taskQueue, input, 'backtest');
      assert.equal(result.partitions.length, 8);
      assert.equal(result.rows.length, 7);
      assert.equal(result.rows[0]!.at, '2000-01-31T00:00:00.000Z', 'partition 1 arrives one 30d step after 2000-01-01');
      assertDecisionsByHand(p, result);
      assert.ok(result.rows.some((r) => r.retrain) && result.rows.some((r) => !r.retrain), 'fires and skips');
      assert.ok(result.rows.some((r) => /breach 1 of 2/.test(r.reason)), 'the breach memory shows');
      assert.ok(result.rows.every((r) => r.metric === undefined) && result.metric === undefined);
      // Same inputs, same result.
      assert.deepEqual(await run(client, taskQueue, input), result);
    });
    assert.deepEqual(durableState(stateDir), before);
  });

  it('with --train: metric trajectory against never and every, training counted, scratch folder only; production and audit unchanged', async () => {
    const p = await makeProject({ trigger: { dataDrift: true } }, 400);
    const glob = await partitions(p, [0, 0, 2, 2], 250);
    const stateDir = path.join(p.dir, '.retrain');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      // A real production model first, so "unchanged" is about a registry and audit trail that exist.
      const real = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/bt-${Date.now()}`, args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force: false }] });
      assert.equal(real.outcome, 'promoted', real.reason);
      const before = durableState(stateDir);
      assert.ok(Object.keys(before).some((f) => f.startsWith('registry')) && Object.keys(before).some((f) => f.startsWith('audit')));

      const result = await run(client, taskQueue, { model: p.model, partitions: glob, order: { by: 'name', step: '30d' }, train: true }, 'backtest-train');
      assertDecisionsByHand(p, result);
      const m = result.metric!;
      assert.equal(m.name, 'auc');
      assert.ok(result.rows.every((r) => r.metric && Number.isFinite(r.metric.policy) && Number.isFinite(r.metric.never) && Number.isFinite(r.metric.every)));
      // Partition 1 is served by the initial model under every strategy.
      assert.equal(result.rows[0]!.metric!.policy, result.rows[0]!.metric!.never);
      assert.equal(result.rows[0]!.metric!.every, result.rows[0]!.metric!.never);
      assert.equal(m.every.retrains, 3);
      assert.equal(m.never.retrains, 0);
      assert.equal(m.policy.retrains, result.rows.filter((r) => r.retrain).length);
      assert.ok(m.policy.retrains >= 1, 'the shift to 2 fires data drift');
      assert.ok(m.every.trainingMs > 0 && m.every.trainingMs >= m.policy.trainingMs);
      assert.deepEqual(durableState(stateDir), before, 'registry, runs and audit trail unchanged');
      assert.ok(existsSync(path.join(stateDir, 'backtests', p.model)), 'models live in the scratch folder');

      // --html: the same result as a page, loaded in a real browser with the network cut off (issue 17 §4).
      const page = path.join(p.dir, 'backtest.html');
      writeFileSync(page, renderBacktest(result));
      const loaded = await loadPage(page, mkdtempSync(path.join(tmpdir(), 'retrain-chromium-')));
      assert.deepEqual(loaded.console, []);
      const shapes = drawnShapes(loaded.dom);
      assert.ok(shapes.paths >= 3 && shapes.circles >= m.policy.retrains && shapes.rects >= result.rows.length, JSON.stringify(shapes));
    });
  });
  it('a worker stopped mid-backtest: a new worker resumes after the last finished partition, same result', async () => {
    const p = await makeProject({ trigger: { dataDrift: true } });
    const glob = await partitions(p, [0, 0, 1.5, 1.5, 0, 1.5, 0], 300);
    const input: BacktestInput = { model: p.model, partitions: glob, order: { by: 'name', step: '30d' }, train: false };
    const t = await testTemporal();
    const taskQueue = `test-${randomUUID()}`;
    const workerOn = () => createWorker({ connection: t.connection, namespace: t.target.namespace, taskQueue, deps: defaultDeps(p.configFile), workflowBundle: t.bundle });
    const workflowId = `backtest/${p.model}/resume-${Date.now()}`;
    const handle = await t.client.workflow.start(backtestWorkflow, { taskQueue, workflowId, args: [input] });
    const first = await workerOn();
    await first.runUntil(async () => {
      for (;;) {
        const progress = await handle.query(backtestProgressQuery).catch(() => undefined);
        if (progress && progress.done >= 2) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the first worker stopped before the end');
    const second = await workerOn();
    const result = await second.runUntil(handle.result());
    // Each partition's evidence was computed once: the new worker replayed the finished ones from history.
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'backtestEvidence');
    assert.equal(scheduled.length, 6);
    assertDecisionsByHand(p, result);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue: q }) => assert.deepEqual(await run(client, q, input), result));
  });
});
