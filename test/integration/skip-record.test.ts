import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps } from '../../src/activities/deps.js';
import { findRunRecord, type RunRecord } from '../../src/audit/audit-log.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

let seq = 0;
async function run(client: Client, taskQueue: string, reason: 'manual' | 'schedule'): Promise<{ result: PipelineResult; workflowId: string }> {
  const workflowId = `retrain/churn/skip-record-${Date.now()}-${seq++}`;
  const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason, source: 'test' }] }] });
  return { result, workflowId };
}

describe('the audit record of a skipped check costs no child process and no history read (real dev server)', () => {
  it('a skipped run records no code version (no git process) and says why; a trained run still records it', async () => {
    const p = await makeProject();
    const stateDir = path.join(p.dir, '.retrain');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const first = await run(client, taskQueue, 'manual');
      assert.equal(first.result.outcome, 'promoted', first.result.reason);
      const trained = (await findRunRecord(stateDir, first.workflowId)) as RunRecord;
      // The example's commands run in this repository, so a trained run names its commit.
      assert.match(trained.codeVersion ?? '', /^[0-9a-f]{40}/);
      assert.ok(trained.evidence, 'a trained run keeps the evidence read from its history');
      assert.equal(trained.notRead, undefined);

      const skipped = await run(client, taskQueue, 'schedule');
      assert.equal(skipped.result.outcome, 'skipped', skipped.result.reason);
      const record = (await findRunRecord(stateDir, skipped.workflowId)) as RunRecord;
      assert.equal(record.codeVersion, null);
      assert.deepEqual(record.code, []);
      assert.equal(record.evidence, undefined);
      assert.deepEqual(
        record.notRead?.map((n) => n.what),
        ['code version', 'evidence from history'],
      );
      assert.match(record.notRead![0]!.why, /skipped: nothing was trained/);
    });
  });
});
