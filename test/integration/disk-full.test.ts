import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultDeps, runDir } from '../../src/activities/deps.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { RetrainPipelineInput } from '../../src/workflows/types.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

describe('disk full while a training command writes its log', () => {
  it('the run fails naming the log and ENOSPC, and the same worker then trains and promotes the next run', async () => {
    const p = await makeProject({}, 1500, 'diskfull');
    const stateDir = path.join(p.dir, '.retrain');
    const first = `retrain/diskfull/full-${Date.now()}`;
    // The run's log is a link to /dev/full, where every write fails with ENOSPC, as on a full disk.
    const dir = runDir(stateDir, 'diskfull', first);
    mkdirSync(dir, { recursive: true });
    symlinkSync('/dev/full', path.join(dir, 'train.log'));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const args: [RetrainPipelineInput] = [{ model: 'diskfull', triggers: [{ reason: 'manual', source: 'test' }], force: true }];
      const failed = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId: first, args });
      assert.equal(failed.outcome, 'failed', failed.reason);
      assert.ok(failed.outcome === 'failed' && failed.step === 'train');
      assert.match(failed.error.message, /train\.log: writing the command's output failed: ENOSPC/);
      const next = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/diskfull/next-${Date.now()}`, args });
      assert.equal(next.outcome, 'promoted', next.reason);
    });
  });
});
