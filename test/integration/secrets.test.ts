import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { bundleFileForSpawnedWorkers } from '../helpers/bundle-file.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { testTemporal } from '../helpers/temporal.js';

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('secrets stay out of workflow history and the worker log', () => {
  it('a credentialed webhook URL and a token a trainer prints appear nowhere in history or the log', async () => {
    const temporal = await testTemporal();
    const hookUrl = `https://hookuser:hookpass-s3cret@127.0.0.1:${await closedPort()}/hook?token=hooktoken-abc123`;
    const dataToken = 'datatoken-9f8e7d6c';
    const secrets = ['hookpass-s3cret', 'hooktoken-abc123', dataToken, 'hookuser:'];
    const p = await makeProject(
      {
        train: { command: fixtureCommand('leaky-train.mjs'), passEnv: ['DATA_TOKEN'] },
        notify: [{ kind: 'json', urlEnv: 'TEST_SECRET_HOOK_URL' }],
      },
      1500,
      'secrets',
    );
    const taskQueue = `secrets-${Date.now()}`;
    // A real worker process, so its log is what an operator would see.
    const worker = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], {
      reject: false,
      env: {
        RETRAIN_CONFIG: p.configFile,
        TEMPORAL_ADDRESS: temporal.target.address,
        RETRAIN_TASK_QUEUE: taskQueue,
        RETRAIN_WORKFLOW_BUNDLE: await bundleFileForSpawnedWorkers(),
        RETRAIN_LOG_LEVEL: 'WARN',
        TEST_SECRET_HOOK_URL: hookUrl,
        DATA_TOKEN: dataToken,
        MLFLOW_TRACKING_TOKEN: 'mlflow-token-77aa',
      },
    });
    let log = '';
    worker.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    worker.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      const handle = await temporal.client.workflow.start(retrainPipeline, {
        taskQueue,
        workflowId: `retrain/secrets/test-${Date.now()}`,
        args: [{ model: 'secrets', triggers: [{ reason: 'manual', source: 'test' }], force: true }],
      });
      const result = await handle.result();
      assert.equal(result.outcome, 'failed');
      assert.ok(result.outcome === 'failed' && result.step === 'train', result.reason);
      const history = JSON.stringify(await handle.fetchHistory());
      // The evidence is still there, only without the secrets.
      assert.match(history, /webhook delivery failed/);
      assert.match(history, /TEST_SECRET_HOOK_URL/);
      assert.match(history, /HTTPError: 401 Unauthorized/);
      assert.match(result.error.message, /data\.example\.invalid/);
      for (const s of secrets) assert.ok(!history.includes(s), `history contains ${s}`);
      for (const s of secrets) assert.ok(!result.error.message.includes(s), `the result contains ${s}`);
    } finally {
      worker.kill('SIGTERM');
      await worker;
    }
    assert.match(log, /notification not delivered|Activity failed/, 'the worker logged the failures');
    for (const s of [...secrets, 'mlflow-token-77aa']) assert.ok(!log.includes(s), `the worker log contains ${s}:\n${log}`);
  });
});
