import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultDeps } from '../../src/activities/deps.js';
import { TAG, type MlflowRegistry } from '../../src/registry/mlflow.js';
import { openRegistry } from '../../src/registry/open.js';
import { loadConfig } from '../../src/config/load.js';
import { moveProduction, retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { registerFixtureVersion } from '../helpers/registry-fixtures.js';
import { makeProject } from '../helpers/project.js';
import { startMlflow } from '../helpers/mlflow.js';
import { withWorker } from '../helpers/temporal.js';

let mlflow: Awaited<ReturnType<typeof startMlflow>>;
before(async () => {
  mlflow = await startMlflow();
});
after(async () => {
  await mlflow?.stop();
});

/** MLflow's own REST API, as any MLflow client would read it. */
async function mlflowGet<T>(api: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/${api}?${new URLSearchParams(params)}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as T;
}
type Version = { version: string; run_id: string; source: string; tags: { key: string; value: string }[]; aliases?: string[] };

describe('MLflow Model Registry backend on a real mlflow server', () => {
  it('a promotion is visible through MLflow: the champion alias points at the new version, with lineage tags', async () => {
    const p = await makeProject({ promotion: { metric: 'auc', floor: 0.55 } }, 1500, 'churn-mlflow');
    p.writeConfig();
    const { writeFileSync, readFileSync } = await import('node:fs');
    // The registry section is top-level config, so append it to what makeProject wrote.
    writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\n`);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (id: string, force = false) =>
        client.workflow.execute(retrainPipeline, { taskQueue, workflowId: id, args: [{ model: 'churn-mlflow', triggers: [{ reason: 'manual', source: 'test' }], force }] });
      const first: PipelineResult = await run(`retrain/churn-mlflow/test-${Date.now()}-1`);
      assert.equal(first.outcome, 'promoted', first.reason);
      // The second run scores production from the artifact it downloads back out of MLflow.
      const second: PipelineResult = await run(`retrain/churn-mlflow/test-${Date.now()}-2`, true);
      assert.ok(second.outcome === 'promoted' || second.outcome === 'rejected', second.reason);
      assert.ok('metrics' in second && second.metrics.production, 'production was scored from the MLflow artifact');

      const alias = await mlflowGet<{ model_version: Version }>('registered-models/alias', { name: 'churn-mlflow', alias: 'champion' });
      const expected = second.outcome === 'promoted' ? second.version : 1;
      assert.equal(Number(alias.model_version.version), expected);
      const tags = Object.fromEntries(alias.model_version.tags.map((t) => [t.key, t.value]));
      const winner = expected === 1 ? first : second;
      assert.equal(tags[TAG.dataSha256], winner.dataFingerprint!.sha256);
      assert.match(tags[TAG.workflowId]!, /^retrain\/churn-mlflow\/test-/);
      assert.equal(tags[TAG.recordId], tags[TAG.workflowId]);
      assert.ok(JSON.parse(tags[TAG.metrics]!).auc > 0.55);
      assert.equal(tags[TAG.triggers], 'manual');
      assert.match(alias.model_version.source, /^mlflow-artifacts:\/.+\/artifacts\/model$/);
      // The MLflow run holds the metrics and params too, so MLflow's UI shows the lineage.
      const mlrun = await mlflowGet<{ run: { data: { metrics: { key: string }[]; params: { key: string }[] } } }>('runs/get', { run_id: alias.model_version.run_id });
      assert.ok(mlrun.run.data.metrics.some((m) => m.key === 'auc'));
      assert.ok(mlrun.run.data.params.some((m) => m.key === 'epochs'));
    });
  });

  it('a retried register finds the version it created instead of creating another', async () => {
    const p = await makeProject({}, 200, 'churn-retry');
    const config = { ...loadConfig(p.configFile), registry: { backend: 'mlflow' as const, alias: 'champion', mlflow: { trackingUri: mlflow.uri, tokenEnv: 'NONE' } } };
    const registry = openRegistry(config) as MlflowRegistry;
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const artifactDir = `${p.dir}/model`;
    mkdirSync(artifactDir, { recursive: true });
    writeFileSync(`${artifactDir}/model.json`, '{"w":[1,2,3]}');
    const input = {
      model: 'churn-retry',
      recordId: 'retrain/churn-retry/2026-03-15T02:00:00.000Z',
      workflowId: 'retrain/churn-retry/2026-03-15T02:00:00.000Z',
      artifactDir,
      dataFingerprint: { sha256: 'ab'.repeat(32), files: 1, bytes: 10, rows: 200, schema: [{ name: 'x', type: 'DOUBLE' }] },
      params: { epochs: 3 },
      metrics: { auc: 0.8 },
      triggers: ['new_data'],
      codeVersion: 'test',
    };
    const [a, b] = await Promise.all([registry.register(input), registry.register(input)]);
    const c = await registry.register(input);
    assert.equal(a.version, 1);
    assert.equal(b.version, 1);
    assert.equal(c.version, 1);
    const all = await mlflowGet<{ model_versions: Version[] }>('model-versions/search', { filter: "name = 'churn-retry'" });
    assert.equal(all.model_versions.length, 1);
    // Round trip: the files come back byte for byte.
    const { readFileSync } = await import('node:fs');
    const local = await registry.localArtifact(a);
    assert.equal(readFileSync(`${local}/model.json`, 'utf8'), '{"w":[1,2,3]}');
    // Compare-and-set on the alias: a stale expectation moves nothing.
    assert.deepEqual((await registry.setAlias({ model: 'churn-retry', alias: 'champion', version: 1, expected: null, actor: 't', reason: 'first' })).moved, true);
    assert.deepEqual(await registry.setAlias({ model: 'churn-retry', alias: 'champion', version: 1, expected: 7, actor: 't', reason: 'stale' }), { moved: false, actual: 1 });
    assert.equal((await registry.setAlias({ model: 'churn-retry', alias: 'champion', version: null, expected: 1, actor: 't', reason: 'undo' })).moved, true);
    assert.equal(await registry.getAlias('churn-retry', 'champion'), null);
    assert.deepEqual((await registry.aliasHistory('churn-retry')).map((m) => [m.from, m.to]), [[null, 1], [1, null]]);
  });

  it('params longer than a tag value come back whole (clipped, they read back as none: a retrain at every check)', async () => {
    const p = await makeProject({}, 200, 'churn-params');
    const config = { ...loadConfig(p.configFile), registry: { backend: 'mlflow' as const, alias: 'champion', mlflow: { trackingUri: mlflow.uri, tokenEnv: 'NONE' } } };
    const registry = openRegistry(config);
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const artifactDir = `${p.dir}/model`;
    mkdirSync(artifactDir, { recursive: true });
    writeFileSync(`${artifactDir}/model.json`, '{}');
    const params = { features: Array.from({ length: 900 }, (_, i) => `feature_${i}`), note: 'ünïcode ✓' };
    assert.ok(JSON.stringify(params).length > 10_000);
    const v = await registry.register({
      model: 'churn-params',
      recordId: 'retrain/churn-params/1',
      workflowId: 'retrain/churn-params/1',
      artifactDir,
      dataFingerprint: { sha256: 'cd'.repeat(32), files: 1, bytes: 10, rows: 200, schema: [] },
      params,
      metrics: { auc: 0.8 },
      triggers: ['manual'],
      codeVersion: 'test',
    });
    assert.deepEqual(v.params, params);
    assert.deepEqual((await registry.getVersion('churn-params', v.version))?.params, params);
  });

  it('a rollback tags the version it left retrain.rolled_back, and the next rollback walks past it', async () => {
    const model = 'churn-mlflow-rollback';
    const p = await makeProject({}, 200, model);
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\n`);
    const registry = openRegistry(loadConfig(p.configFile));
    let previous: number | null = null;
    for (const i of [1, 2, 3]) {
      const v = await registerFixtureVersion(registry, model, p.dir, i);
      assert.equal((await registry.setAlias({ model, alias: 'champion', version: v.version, expected: previous, actor: 'ci', reason: `release v${v.version}` })).moved, true);
      previous = v.version;
    }
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const rollback = (reason: string) =>
        client.workflow.execute(moveProduction, { taskQueue, workflowId: `retrain-rollback/${model}/${Date.now()}`, args: [{ model, kind: 'rollback', actor: 'bob', reason }] });
      const first = await rollback('v3 bad');
      assert.deepEqual([first.from, first.to], [3, 2]);
      const v3 = await mlflowGet<{ model_version: Version }>('model-versions/get', { name: model, version: '3' });
      const tag = v3.model_version.tags.find((t) => t.key === TAG.rolledBack);
      assert.ok(tag, 'MLflow shows the mark on the version');
      assert.deepEqual({ by: JSON.parse(tag.value).by, reason: JSON.parse(tag.value).reason }, { by: 'bob', reason: 'v3 bad' });
      // Respected: the second rollback goes past v3 (before: v2 → v3) to v1.
      const second = await rollback('v2 bad too');
      assert.deepEqual([second.from, second.to], [2, 1]);
      assert.deepEqual(second.skipped?.map((s) => s.version), [3]);
      const alias = await mlflowGet<{ model_version: Version }>('registered-models/alias', { name: model, alias: 'champion' });
      assert.equal(alias.model_version.version, '1');
      assert.equal((await registry.getVersion(model, 2))?.rolledBack?.reason, 'v2 bad too');
    });
  });
});
