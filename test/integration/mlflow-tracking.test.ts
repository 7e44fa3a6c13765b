import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { defaultDeps } from '../../src/activities/deps.js';
import { TOOLS_DIR } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
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

/** Reads the server with MLflow's own Python client, as a data scientist's notebook would. */
async function pythonClient(script: string): Promise<unknown> {
  const python = path.join(TOOLS_DIR, 'mlflow', 'bin', 'python');
  const code = `import json, sys\nfrom mlflow.tracking import MlflowClient\nc = MlflowClient(sys.argv[1])\n${script}`;
  const r = await execa(python, ['-c', code, mlflow.uri], { reject: false });
  assert.equal(r.exitCode, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('MLflow tracking: one run per pipeline decision, on a real mlflow server', () => {
  it('a promoted and a skipped decision each get a run named after the trigger, with thresholds, metrics, lineage tags and artifacts', async () => {
    const model = 'churn-tracked';
    const p = await makeProject({ promotion: { metric: 'auc', floor: 0.55, minImprovement: 0.001 }, trigger: { maxRelativeDrop: 0.05 } }, 1500, model);
    writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\ntracking:\n  mlflow: {}\n`);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (id: string, reason: 'drift_alert' | 'schedule') =>
        client.workflow.execute(retrainPipeline, { taskQueue, workflowId: id, args: [{ model, triggers: [{ reason, source: 'evidently', details: { alert: 'a-17' } }] }] });
      const first: PipelineResult = await run(`retrain/${model}/t-${Date.now()}-1`, 'drift_alert');
      assert.equal(first.outcome, 'promoted', first.reason);
      const second: PipelineResult = await run(`retrain/${model}/t-${Date.now()}-2`, 'schedule');
      assert.equal(second.outcome, 'skipped', second.reason);
    });
    type Run = { name: string; status: string; tags: Record<string, string>; params: Record<string, string>; metrics: Record<string, number>; artifacts: string[] };
    const runs = (await pythonClient(`
exp = c.get_experiment_by_name("retrain/${model}/decisions")
out = []
for r in c.search_runs([exp.experiment_id], order_by=["attributes.start_time ASC"]):
    arts = [a.path for a in c.list_artifacts(r.info.run_id)] + [a.path for a in c.list_artifacts(r.info.run_id, "check")]
    out.append({"name": r.info.run_name, "status": r.info.status, "tags": r.data.tags, "params": r.data.params, "metrics": r.data.metrics, "artifacts": arts})
print(json.dumps(out))`)) as Run[];
    assert.equal(runs.length, 2, 'one run per decision, the skip included');
    const [promoted, skipped] = runs as [Run, Run];
    assert.equal(promoted.name, 'retrain_drift_alert');
    assert.equal(promoted.status, 'FINISHED');
    assert.equal(promoted.tags['retrain.outcome'], 'promoted');
    assert.match(promoted.tags['retrain.reason']!, /first model/);
    assert.match(promoted.tags['retrain.data_sha256']!, /^[0-9a-f]{64}$/);
    assert.match(promoted.tags['retrain.workflow_id']!, new RegExp(`^retrain/${model}/`));
    assert.equal(promoted.params['trigger.type'], 'drift_alert');
    assert.equal(promoted.params['trigger.source'], 'evidently');
    assert.equal(promoted.params['trigger.details.alert'], 'a-17');
    assert.equal(promoted.params['promotion.floor'], '0.55');
    assert.equal(promoted.params['trigger.maxRelativeDrop'], '0.05');
    assert.ok(promoted.metrics['candidate.auc']! > 0.55);
    assert.ok(promoted.metrics['train.auc']! > 0.5, "the trainer's own metrics.json is kept");
    assert.ok(promoted.artifacts.includes('audit-record.json'));

    assert.equal(skipped.name, 'retrain_schedule');
    assert.equal(skipped.tags['retrain.outcome'], 'skipped');
    assert.ok(skipped.metrics['production.auc']! > 0.55, "production's metrics before the decision");
    assert.equal(skipped.metrics['new_rows'], 0);
    // The skip was decided by unchanged data: no drift report and no score, and the run says why.
    assert.ok(!('drift.share' in skipped.metrics) && !skipped.artifacts.includes('check/drift.json'), 'no drift computed for a decided skip');
    assert.match(skipped.params['not_computed.drift']!, /^decided: data and params unchanged since production v1/);
    assert.match(skipped.params['not_computed.score']!, /^decided: data and params unchanged since production v1/);
    assert.ok(!('production.current.auc' in skipped.metrics), 'production was not scored');

    const version = (await pythonClient(`v = c.get_model_version("${model}", "1")\nprint(json.dumps(v.tags))`)) as Record<string, string>;
    assert.equal(version['retrain.outcome'], 'promoted', 'the registered version says what came of it');
    assert.match(version['retrain.artifact_sha256']!, /^[0-9a-f]{64}$/);
  });
});
