import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { createActivities } from '../../src/activities/index.js';
import { defaultDeps } from '../../src/activities/deps.js';
import { loadConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { isAlive } from '../../src/runner/process-group.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult, RetrainPipelineInput } from '../../src/workflows/types.js';
import { fixtureCommand, makeProject, type TestProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { recordHistory } from '../helpers/record-history.js';

let seq = 0;
const input = (force = false): RetrainPipelineInput => ({ model: 'churn', triggers: [{ reason: 'manual', source: 'test' }], force });
async function run(client: Client, taskQueue: string, force = false): Promise<PipelineResult> {
  const workflowId = `retrain/churn/test-${Date.now()}-${seq++}`;
  const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [input(force)] });
  await recordHistory(client, workflowId, `pipeline-${result.outcome}${result.outcome === 'failed' ? `-${result.step}` : ''}`);
  return result;
}
const registryOf = (p: TestProject) => new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));

describe('retrain pipeline on a real dev server', () => {
  it('promotes a better candidate and moves the production alias to it', async () => {
    const p = await makeProject({ train: { params: { epochs: 150, exclude: ['contract', 'tenure_months', 'monthly_charges'] } } });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const first = await run(client, taskQueue);
      assert.equal(first.outcome, 'promoted', first.reason);
      p.writeConfig({ train: { params: { epochs: 150 } } });
      const second = await run(client, taskQueue);
      assert.equal(second.outcome, 'promoted', second.reason);
      assert.ok(second.outcome === 'promoted' && second.metrics.production);
      assert.ok(second.metrics.candidate.auc! > second.metrics.production.auc!);
      assert.equal(await registryOf(p).getAlias('churn', 'champion'), second.version);
      assert.equal(second.previousVersion, first.outcome === 'promoted' ? first.version : -1);
    });
  });

  it('rejects a worse candidate and leaves production unchanged', async () => {
    const p = await makeProject();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const first = await run(client, taskQueue);
      assert.equal(first.outcome, 'promoted');
      p.writeConfig({ train: { params: { epochs: 150, exclude: ['contract', 'tenure_months', 'monthly_charges'] } } });
      const second = await run(client, taskQueue);
      assert.equal(second.outcome, 'rejected', second.reason);
      assert.match(second.reason, /not better/);
      assert.equal(await registryOf(p).getAlias('churn', 'champion'), 1);
    });
  });

  it('skips when data and params are unchanged since production was trained', async () => {
    const p = await makeProject();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue)).outcome, 'promoted');
      const again = await run(client, taskQueue);
      assert.equal(again.outcome, 'skipped');
      assert.match(again.reason, /unchanged/);
    });
  });

  it('stops invalid data before training with a non-retryable DataValidationError naming the problem', async () => {
    const p = await makeProject();
    const file = path.join(p.dataDir, 'current.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n1,\d+,/, '\n1,-5,'));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const result = await run(client, taskQueue);
      assert.equal(result.outcome, 'failed');
      assert.ok(result.outcome === 'failed');
      assert.equal(result.step, 'validate');
      assert.equal(result.error.type, 'DataValidationError');
      assert.match(result.error.message, /tenure_months: range/);
      assert.match(result.error.message, /current\.csv/);
      // The validate step notes its snapshot in the run's folder; nothing else is there: no train output.
      const runs = path.join(p.dir, '.retrain', 'runs', 'churn');
      const left = existsSync(runs) ? readdirSync(runs, { recursive: true }).map(String).sort() : [];
      assert.ok(left.every((f) => !f.split(path.sep).includes('train')), `nothing was trained: ${left.join(', ')}`);
    });
  });

  it('fails with the stderr tail when training exits non-zero; production unchanged', async () => {
    const p = await makeProject();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue)).outcome, 'promoted');
      p.writeConfig({ train: { command: fixtureCommand('fail.mjs') } });
      const result = await run(client, taskQueue, true);
      assert.ok(result.outcome === 'failed', result.reason);
      assert.equal(result.step, 'train');
      assert.equal(result.error.type, 'TrainingCommandError');
      assert.match(result.error.message, /exited with code 3/);
      assert.match(result.error.message, /CUDA out of memory/);
      assert.equal(await registryOf(p).getAlias('churn', 'champion'), 1);
      assert.equal((await registryOf(p).listVersions('churn')).length, 1);
    });
  });

  it('retries a transient failure (exit 75) and succeeds', async () => {
    const p = await makeProject({ train: { command: fixtureCommand('flaky.mjs') } });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const workflowId = `retrain/churn/flaky-${Date.now()}`;
      const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [input()] });
      assert.equal(result.outcome, 'promoted', result.reason);
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes?.attempt === 2);
      assert.equal(attempts.length, 1, 'the training activity ran a second attempt');
    });
  });

  it('kills the training process when the workflow is cancelled', async () => {
    const p = await makeProject();
    const pidFile = path.join(p.dir, 'slow.pid');
    // A short heartbeat timeout: cancellation reaches an activity on its next heartbeat.
    p.writeConfig({ train: { command: fixtureCommand('slow.mjs'), env: { SLOW_PID_FILE: pidFile } }, steps: { train: { heartbeatTimeout: '5s' } } });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const handle = await client.workflow.start(retrainPipeline, { taskQueue, workflowId: `retrain/churn/cancel-${Date.now()}`, args: [input()] });
      while (!existsSync(pidFile)) await sleep(100);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(isAlive(pid));
      await handle.cancel();
      await assert.rejects(handle.result(), WorkflowFailedError);
      for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
      assert.equal(isAlive(pid), false, 'training process was killed');
    });
  });

  it('registers once when the register step runs twice with the same run id', async () => {
    const p = await makeProject();
    const deps = defaultDeps(p.configFile);
    const acts = createActivities(deps);
    const plan = planModel(loadConfig(p.configFile), 'churn');
    const artifactDir = path.join(p.dir, 'artifact');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(artifactDir);
    writeFileSync(path.join(artifactDir, 'model.json'), '{"w":[1,2,3]}');
    const fingerprint = { sha256: 'a'.repeat(64), files: 1, bytes: 1, rows: 1, schema: [] };
    const reg = { plan, pipelineId: 'retrain/churn/x', workflowId: 'retrain/churn/x', artifactDir, fingerprint, metrics: { auc: 0.8 }, triggers: ['manual'] };
    const [a, b] = await Promise.all([acts.registerCandidate(reg), acts.registerCandidate(reg)]);
    const c = await acts.registerCandidate(reg);
    assert.equal(a.version, 1);
    assert.equal(b.version, 1);
    assert.equal(c.version, 1);
    assert.equal((await registryOf(p).listVersions('churn')).length, 1);
  });
});
