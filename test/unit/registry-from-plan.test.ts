import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createPipelineSteps } from '../../src/activities/pipeline-steps.js';
import { createProductionSteps } from '../../src/activities/production-steps.js';
import { defaultDeps, type ActivityDeps } from '../../src/activities/deps.js';
import { parseConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { LocalRegistry } from '../../src/registry/local.js';

// Issue 16 item 6: activities that get a plan take the registry from it; they do not read the config file again.
describe('the registry comes from the plan', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'plan-registry-'));
  const model = {
    data: { current: 'd/c.csv', evaluation: 'd/e.csv', target: 'y' },
    train: { command: ['python', 'train.py'] },
    evaluate: { command: ['python', 'eval.py'] },
    promotion: { metric: 'auc' },
  };
  const plan = planModel(parseConfig({ version: 1, stateDir: '.state', models: { m: model } }, path.join(dir, 'retrain.config.yaml')), 'm');
  let reads = 0;
  const real = defaultDeps(path.join(dir, 'retrain.config.yaml'));
  // The config file does not even exist: any activity that re-reads it fails.
  const deps: ActivityDeps = {
    ...real,
    config: () => {
      reads++;
      return real.config();
    },
  };

  it('promote and the watch window’s restore walk work from the plan alone', async () => {
    const pipeline = createPipelineSteps(deps);
    const moved = await pipeline.promoteVersion({ plan, recordId: 'retrain/m/t', version: null, expected: null, reason: 'first' });
    assert.equal(moved.moved, true);
    const walk = await createProductionSteps(deps).resolveRestore({ plan, current: 1 });
    assert.equal(walk.to, null);
    assert.equal(reads, 0, 'the config file was not read');
  });

  it('the registry opened is the plan’s (its stateDir and backend)', async () => {
    const registry = deps.registry({ file: plan.configFile, stateDir: plan.stateDir, registry: plan.registry });
    assert.ok(registry instanceof LocalRegistry);
    assert.equal(registry.root, path.join(dir, '.state', 'registry'));
    assert.deepEqual(await registry.aliasHistory('m'), (await registry.aliasHistory('m')).filter((m) => m.recordId === 'retrain/m/t'));
  });
});
