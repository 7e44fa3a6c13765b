import assert from 'node:assert/strict';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { freePort } from '../../src/temporal/ports.js';
import { controllerId, controllerStatus, sendTrigger } from '../../src/client/controller.js';
import { makeProject } from '../helpers/project.js';
import { testTemporal } from '../helpers/temporal.js';

describe('worker metrics', () => {
  it('serves the SDK metrics and the project counters on a Prometheus endpoint when RETRAIN_METRICS_ADDRESS is set', async () => {
    const { client, target } = await testTemporal();
    const p = await makeProject({ trigger: { quietPeriod: '1h', maxWait: '2h' } }, 300, 'metrics');
    const taskQueue = `metrics-${randomUUID()}`;
    const address = `127.0.0.1:${await freePort()}`;
    // The worker as a user runs it, in its own process: the runtime (and its exporter) is per process.
    const worker = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], {
      env: { TEMPORAL_ADDRESS: target.address, RETRAIN_CONFIG: p.configFile, RETRAIN_TASK_QUEUE: taskQueue, RETRAIN_METRICS_ADDRESS: address },
      reject: false,
    });
    try {
      await sendTrigger(client, { model: 'metrics', taskQueue, trigger: { reason: 'new_data', source: 'test', idempotencyKey: 'k1' } });
      await sendTrigger(client, { model: 'metrics', taskQueue, trigger: { reason: 'new_data', source: 'test', idempotencyKey: 'k1' } });
      // Queries fail until the worker process has bundled its workflows and started polling.
      const received = () => controllerStatus(client, 'metrics').then((st) => st?.counters.received, () => undefined);
      for (let i = 0; i < 600 && (await received()) !== 2; i++) await sleep(500);
      let text = '';
      for (let i = 0; i < 60 && !/retrain_triggers_duplicate/.test(text); i++) {
        text = await fetch(`http://${address}/metrics`).then((r) => r.text(), () => '');
        await sleep(500);
      }
      assert.match(text, /retrain_triggers_received_total\{[^}]*model="metrics"[^}]*\} 2/);
      assert.match(text, /retrain_triggers_duplicate_total\{[^}]*model="metrics"[^}]*\} 1/);
      assert.match(text, /temporal_workflow_task_/, 'the SDK worker metrics are there too');
    } finally {
      await client.workflow.getHandle(controllerId('metrics')).terminate('test finished').catch(() => {});
      worker.kill('SIGTERM');
      await worker;
    }
  });
});
