import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { defaultDeps } from '../../src/activities/deps.js';
import { GRANULARITY_NS } from '../../src/data/stat-cache.js';
import { makeProject, TRAIN } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { settled } from '../helpers/wait.js';

/*
 * A version records its train.inputs as the training host hashed them before the command ran. How it could lie: hashed
 * at register, after training, an input saved while the model trained was recorded as what it trained with, and every
 * later check skipped a model trained on the old file (found by a red-team pass).
 */
describe('train.inputs are recorded as training read them (real dev server)', () => {
  it('an input edited while training runs makes the next check retrain, not skip', async () => {
    const model = `inputs-${Date.now()}`;
    const p = await makeProject({ trigger: { quietPeriod: '0s', maxWait: '0s' } }, 1500, model);
    const features = path.join(p.dir, 'features.txt');
    writeFileSync(features, 'v1\n');
    const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
    // The trainer reads v1 the whole time it runs; the user saves v2 as it finishes.
    const cmd = `${TRAIN.map(q).join(' ')} && printf 'v2\\n' > ${q(features)}`;
    p.writeConfig({ trigger: { quietPeriod: '0s', maxWait: '0s' }, train: { command: ['sh', '-c', cmd], inputs: ['features.txt'] } });
    await sleep(Number(GRANULARITY_NS / 1_000_000n) + 100);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      let h = await client.workflow.start('scheduledTrigger', { taskQueue, workflowId: `retrain-schedule/${model}/tick-1`, args: [{ model }] });
      await h.result();
      const first = await settled(client, model, 1);
      assert.equal(first.recent[0]!.outcome, 'promoted', first.recent[0]!.reason);
      assert.equal(readFileSync(features, 'utf8'), 'v2\n');
      await sleep(Number(GRANULARITY_NS / 1_000_000n) + 100);
      h = await client.workflow.start('scheduledTrigger', { taskQueue, workflowId: `retrain-schedule/${model}/tick-2`, args: [{ model }] });
      const ticked = (await h.result()) as { skipped?: { reason: string } };
      assert.equal(ticked.skipped, undefined, `the tick skipped a model trained on features.txt v1, now v2: ${ticked.skipped?.reason}`);
    });
  });
});
