import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { defaultDeps } from '../../src/activities/deps.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { pipelineStepQuery } from '../../src/workflows/messages.js';
import { flipLabels, registerFixtureVersion } from '../helpers/registry-fixtures.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { until } from '../helpers/wait.js';
import { recordHistory } from '../helpers/record-history.js';
import { testTemporal, withWorker } from '../helpers/temporal.js';

const registryOf = (p: TestProject) => new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));

/** The `retrain` CLI as a user runs it, pointed at the test's config, server and task queue. */
async function cli(p: TestProject, taskQueue: string, ...args: string[]) {
  const t = await testTemporal();
  return execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], {
    reject: false,
    env: { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: t.target.address, RETRAIN_TASK_QUEUE: taskQueue, RETRAIN_USER: 'alice' },
  });
}

/** Registers `n` small versions straight into the project's registry (the pipeline is not under test here). */
async function registerVersions(p: TestProject, n: number) {
  const registry = registryOf(p);
  for (let i = 1; i <= n; i++) {
    const v = await registerFixtureVersion(registry, p.model, p.dir, i);
    assert.equal(v.version, i);
  }
}

describe('rollback never returns to a version that was rolled away from (real dev server)', () => {
  it('v1→v2→v3→v4, rollback twice → v2, a third → v1, a fourth has nowhere to go; --to stays exact', async () => {
    const p = await makeProject({}, 200, 'churn-rollback');
    await registerVersions(p, 4);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      for (const v of ['1', '2', '3', '4']) {
        const r = await cli(p, taskQueue, 'promote', p.model, v, '--reason', `release v${v}`, '--json');
        assert.equal(r.exitCode, 0, r.stderr);
      }
      const alias = () => registryOf(p).getAlias(p.model, 'champion');
      assert.equal(await alias(), 4);

      const first = await cli(p, taskQueue, 'rollback', p.model, '--reason', 'v4 bad', '--json');
      assert.equal(first.exitCode, 0, first.stderr);
      assert.deepEqual([JSON.parse(first.stdout).from, JSON.parse(first.stdout).to], [4, 3]);
      // Today's code went v3 → v4 here: back onto the model just declared bad.
      const second = await cli(p, taskQueue, 'rollback', p.model, '--reason', 'v3 bad too');
      assert.equal(second.exitCode, 0, second.stderr);
      assert.equal(await alias(), 2, second.stdout);
      assert.match(second.stdout, /v3 → v2/);
      assert.match(second.stdout, /skipped v4 \(rolled back .* by alice: .*v4 bad\)/);
      const v4 = await registryOf(p).getVersion(p.model, 4);
      assert.equal(v4?.rolledBack?.by, 'alice');
      assert.match(v4?.rolledBack?.reason ?? '', /v4 bad/);

      const third = await cli(p, taskQueue, 'rollback', p.model, '--reason', 'v2 bad as well', '--json');
      assert.equal(third.exitCode, 0, third.stderr);
      await recordHistory(client, JSON.parse(third.stdout).workflowId, 'move-production-rollback-skips-bad');
      assert.equal(await alias(), 1);
      const skipped = (JSON.parse(third.stdout) as { skipped: { version: number }[] }).skipped.map((s) => s.version);
      assert.deepEqual(skipped, [3, 4]);

      // Nothing left that was not declared bad: a clear refusal that names every skipped version.
      const fourth = await cli(p, taskQueue, 'rollback', p.model, '--reason', 'v1 bad');
      assert.equal(fourth.exitCode, 1, fourth.stdout);
      assert.match(fourth.stderr, /UnknownVersion|no earlier champion version/);
      assert.match(fourth.stderr, /v2 \(rolled back/);
      assert.match(fourth.stderr, /v3 \(rolled back/);
      assert.match(fourth.stderr, /v4 \(rolled back/);
      assert.equal(await alias(), 1, 'unchanged by the refused rollback');

      // --to stays exact, also onto a version marked bad, and says so.
      const exact = await cli(p, taskQueue, 'rollback', p.model, '--to', '4', '--reason', 'v4 was fine after all');
      assert.equal(exact.exitCode, 0, exact.stderr);
      assert.equal(await alias(), 4);
      assert.match(exact.stdout, /v4 was rolled back .* by alice: .*v4 bad.*named explicitly/);
      // The version rolled away from by --to is marked too; a rollback from v4 now goes nowhere bad.
      assert.ok((await registryOf(p).getVersion(p.model, 1))?.rolledBack, 'v1 was rolled away from');
      const promoted = await cli(p, taskQueue, 'promote', p.model, '3', '--reason', 'by hand');
      assert.equal(promoted.exitCode, 0, promoted.stderr);
      assert.match(promoted.stdout, /v3 was rolled back/);
      assert.equal(await alias(), 3);
    });
  });

  it('watch window: the breached candidate is marked, and production goes back past a version declared bad', async () => {
    const WEAK = { train: { params: { epochs: 150, exclude: ['contract', 'tenure_months', 'monthly_charges'] } } };
    const p = await makeProject(WEAK, 1500, 'churn-rollback-watch');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = () => client.workflow.start(retrainPipeline, {
        taskQueue,
        workflowId: `retrain/${p.model}/test-${Date.now()}`,
        args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }],
      });
      const first = await (await run()).result();
      assert.equal(first.outcome, 'promoted', first.reason);
      // v2: the same weak model, promoted, rolled back (declared bad), then promoted again by hand.
      const registry = registryOf(p);
      const v1 = (await registry.getVersion(p.model, 1))!;
      const { artifact, ...lineage } = v1;
      const v2 = await registry.register({ ...lineage, recordId: 'hand-made', workflowId: 'hand-made', artifactDir: artifact.uri });
      for (const args of [['promote', '2'], ['rollback', '--reason', 'v2 bad'], ['promote', '2', '--reason', 'trying v2 again']]) {
        const r = await cli(p, taskQueue, args[0]!, p.model, ...args.slice(1));
        assert.equal(r.exitCode, 0, r.stderr);
      }
      assert.equal(await registry.getAlias(p.model, 'champion'), v2.version);
      assert.ok((await registry.getVersion(p.model, 2))?.rolledBack);

      p.writeConfig({ train: { params: { epochs: 150 } }, promotion: { watch: { duration: '10m', every: '2s', maxRelativeDrop: 0.05 } } });
      const h = await run();
      await until('the watch step', async () => (await h.query(pipelineStepQuery)) === 'watch');
      flipLabels(path.join(p.dataDir, 'eval.csv'), 'churned');
      const r = await h.result();
      await recordHistory(client, h.workflowId, 'pipeline-rolled_back-skips-bad');
      assert.equal(r.outcome, 'rolled_back', r.reason);
      assert.equal(await registry.getAlias(p.model, 'champion'), 1, 'not v2, which was declared bad');
      assert.match(r.reason, /^rolled back to v1 .*skipped v2 \(rolled back .* by alice: .*v2 bad\)/);
      const candidate = (await registry.getVersion(p.model, 3))!;
      assert.equal(candidate.rolledBack?.by, 'pipeline (watch)');
      assert.match(candidate.rolledBack?.reason ?? '', /watch window/);
    });
  });
});
