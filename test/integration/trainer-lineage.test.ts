import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { defaultDeps } from '../../src/activities/deps.js';
import { loadConfig } from '../../src/config/load.js';
import { openRegistry } from '../../src/registry/open.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { startMlflow } from '../helpers/mlflow.js';
import { withWorker } from '../helpers/temporal.js';

describe("the trainer's lineage.json (real dev server, real mlflow server)", () => {
  it('its tags are recorded in the version, shown by explain and models, and tagged lineage.<key> on the MLflow version and tracking run; a malformed one fails the step', async () => {
    const mlflow = await startMlflow();
    try {
      const model = 'churn-lineage';
      const p = await makeProject({ train: { command: fixtureCommand('lineage-train.mjs'), workdir: PROJECT_ROOT } }, 300, model);
      const withMlflow = () => writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\ntracking:\n  mlflow: {}\n`);
      withMlflow();
      const retrain = (...args: string[]) => execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env: { ...process.env, RETRAIN_CONFIG: p.configFile }, reject: false });
      await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
        const run = () => client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${model}/t-${Date.now()}`, args: [{ model, triggers: [{ reason: 'manual', source: 'test' }], force: true }] });
        const r = await run();
        assert.equal(r.outcome, 'promoted', r.reason);
        const want = { 'feature_store.snapshot': 'fs-2026-12-01', upstream_job: '4711' };
        const v = await openRegistry(loadConfig(p.configFile)).getVersion(model, 1);
        assert.deepEqual(v?.lineage?.tags, want, 'read back from the MLflow version');

        const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/model-versions/get?${new URLSearchParams({ name: model, version: '1' })}`);
        const { model_version: mv } = (await res.json()) as { model_version: { tags: { key: string; value: string }[] } };
        const vtags = Object.fromEntries(mv.tags.map((t) => [t.key, t.value]));
        assert.equal(vtags['lineage.feature_store.snapshot'], 'fs-2026-12-01');
        assert.equal(vtags['lineage.upstream_job'], '4711');

        const record = (await listRunRecords(path.join(p.dir, '.retrain'), model)).find((x) => 'version' in x.result && x.result.version === 1)!;
        assert.deepEqual(record.lineage?.tags, want, 'the audit record carries them');
        const exp = await (await fetch(`${mlflow.uri}/api/2.0/mlflow/experiments/get-by-name?${new URLSearchParams({ experiment_name: `retrain/${model}/decisions` })}`)).json() as { experiment: { experiment_id: string } };
        const runs = await (await fetch(`${mlflow.uri}/api/2.0/mlflow/runs/search`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ experiment_ids: [exp.experiment.experiment_id], filter: `tags.\`retrain.workflow_id\` = '${record.workflowId}'` }),
        })).json() as { runs: { data: { tags: { key: string; value: string }[] } }[] };
        const rtags = Object.fromEntries(runs.runs[0]!.data.tags.map((t) => [t.key, t.value]));
        assert.equal(rtags['lineage.feature_store.snapshot'], 'fs-2026-12-01', 'the decision tracking run has them');
        assert.equal(rtags['lineage.upstream_job'], '4711');

        const explain = await retrain('explain', record.workflowId, '--json');
        assert.deepEqual((JSON.parse(explain.stdout) as { lineage?: { tags?: unknown } }).lineage?.tags, want);
        const human = await retrain('explain', record.workflowId);
        assert.ok(human.stdout.includes('lineage: feature_store.snapshot=fs-2026-12-01, upstream_job=4711'), human.stdout);
        const models = await retrain('models', model);
        assert.ok(models.stdout.includes('feature_store.snapshot=fs-2026-12-01'), models.stdout);

        // A tag that is not a string: the step fails, typed, naming the file and the tag.
        p.writeConfig({ train: { command: [...fixtureCommand('lineage-train.mjs'), 'bad'], workdir: PROJECT_ROOT } });
        withMlflow();
        const bad = await run();
        assert.equal(bad.outcome, 'failed');
        assert.ok(bad.outcome === 'failed' && bad.step === 'train' && bad.error.type === 'CommandContractError', JSON.stringify(bad));
        assert.match(bad.outcome === 'failed' ? bad.error.message : '', /lineage\.json: tag "upstream_job" is 4711, expected a string/);
      });
    } finally {
      await mlflow.stop();
    }
  });
});
