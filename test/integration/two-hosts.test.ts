import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { execa, type ResultPromise } from 'execa';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { pipelineStepQuery } from '../../src/workflows/messages.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { bundleFileForSpawnedWorkers } from '../helpers/bundle-file.js';
import { startMlflow } from '../helpers/mlflow.js';
import { makeProject } from '../helpers/project.js';
import { testTemporal } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

let mlflow: Awaited<ReturnType<typeof startMlflow>>;
before(async () => {
  mlflow = await startMlflow();
});
after(async () => {
  await mlflow?.stop();
});

/**
 * Two hosts that share no disk, simulated with mount namespaces: each worker sees its own clone of
 * the project at the same path (a bind mount), and the folder holding both clones is covered by an
 * empty tmpfs, so neither can read the other's files. Host A orchestrates (checks, registers,
 * promotes); host B trains and evaluates on the model's training queue. They meet only through
 * Temporal and MLflow.
 */
describe('workers on two hosts that share no disk (mount namespaces), MLflow registry', () => {
  it('trains on host B, registers on host A, promotes; kill -9 of either worker mid-step is survived', async () => {
    const t = await testTemporal();
    const id = Date.now().toString(36);
    const model = 'two-hosts';
    const queues = { main: `hostA-${id}`, training: `hostB-${id}` };
    const p = await makeProject(
      {
        taskQueues: { training: queues.training },
        // Short heartbeats: a killed training host is noticed within seconds.
        steps: { train: { timeout: '10m', heartbeatTimeout: '5s', retry: { maximumAttempts: 5, initialInterval: '200ms' } }, evaluate: { timeout: '10m', heartbeatTimeout: '5s', retry: { maximumAttempts: 5, initialInterval: '200ms' } } },
      },
      1500,
      model,
    );
    writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\n`);
    const hosts = mkdtempSync(path.join(tmpdir(), 'retrain-hosts-'));
    const clone = { A: path.join(hosts, 'a'), B: path.join(hosts, 'b') };
    for (const dir of Object.values(clone)) cpSync(p.dir, dir, { recursive: true });
    const mountpoint = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-clone-')), 'project');
    mkdirSync(mountpoint);
    const bundle = await bundleFileForSpawnedWorkers();

    const workers: Partial<Record<'A' | 'B', ResultPromise>> = {};
    const start = (host: 'A' | 'B') => {
      const script = 'mount --bind "$1" "$2" && mount -t tmpfs tmpfs "$3" && cd "$2" && exec "$4" "$5" worker';
      workers[host] = execa('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', clone[host], mountpoint, hosts, process.execPath, path.join(PROJECT_ROOT, 'bin/retrain.js')], {
        env: {
          RETRAIN_CONFIG: path.join(mountpoint, 'retrain.config.yaml'),
          TEMPORAL_ADDRESS: t.target.address,
          TEMPORAL_NAMESPACE: t.target.namespace,
          RETRAIN_TASK_QUEUE: host === 'A' ? queues.main : queues.training,
          RETRAIN_WORKFLOW_BUNDLE: bundle,
        },
        reject: false,
        all: true,
      });
    };
    const kill9 = async (host: 'A' | 'B') => {
      workers[host]!.kill('SIGKILL');
      await workers[host];
    };
    start('A');
    start('B');
    try {
      const run = async (n: number, killAt: { host: 'A' | 'B'; step: string }) => {
        const handle = await t.client.workflow.start(retrainPipeline, {
          taskQueue: queues.main,
          workflowId: `retrain/${model}/two-hosts-${id}-${n}`,
          args: [{ model, triggers: [{ reason: 'manual', source: 'test' }], force: n > 1 }],
        });
        await until(`run ${n} to reach ${killAt.step}`, async () => (await handle.query(pipelineStepQuery)) === killAt.step, 180_000);
        await kill9(killAt.host);
        start(killAt.host);
        return { workflowId: handle.workflowId, result: (await handle.result()) as PipelineResult };
      };
      const first = await run(1, { host: 'B', step: 'train' });
      assert.equal(first.result.outcome, 'promoted', first.result.reason);
      const second = await run(2, { host: 'A', step: 'evaluate' });
      assert.ok(second.result.outcome === 'promoted' || second.result.outcome === 'rejected', second.result.reason);
      assert.ok('metrics' in second.result && second.result.metrics.production, 'host B scored production from the MLflow artifact it fetched itself');

      // Each step ran where it should, on its own disk: training folders only on B, none on A.
      const runs = (host: 'A' | 'B', wf: string) => path.join(clone[host], '.retrain', 'runs', model, wf.replace(/[^A-Za-z0-9._-]/g, '_'));
      for (const r of [first, second]) {
        assert.ok(existsSync(path.join(runs('B', r.workflowId), 'train', 'metrics.json')), 'trained on host B');
        assert.ok(existsSync(path.join(runs('B', r.workflowId), 'evaluate-candidate', 'metrics.json')), 'evaluated on host B');
        assert.ok(!existsSync(path.join(runs('A', r.workflowId), 'train')), 'nothing trained on host A');
      }
      assert.ok(!existsSync(path.join(clone.A, '.retrain', 'mlflow', model, 'artifacts')) || readdirSync(path.join(clone.A, '.retrain', 'mlflow', model, 'artifacts')).every((f) => !f.endsWith('.tmp')));
      const versions = await fetch(`${mlflow.uri}/api/2.0/mlflow/model-versions/search?${new URLSearchParams({ filter: `name = '${model}'` })}`).then((r) => r.json() as Promise<{ model_versions: { version: string; source: string }[] }>);
      assert.equal(versions.model_versions.length, 2, 'one version per run, the killed attempts included');
      for (const v of versions.model_versions) assert.match(v.source, /^mlflow-artifacts:\//, 'registered from the store, not a host path');
    } finally {
      // A worker drains its in-flight activities on SIGTERM; one stuck in a step must not hold the test open.
      for (const w of Object.values(workers)) w?.kill('SIGTERM');
      await Promise.race([Promise.all(Object.values(workers)), sleep(15_000)]);
      for (const w of Object.values(workers)) w?.kill('SIGKILL');
    }
  });
});
