import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEnvOverrides } from '../../src/config/env-overrides.js';
import { parseConfig } from '../../src/config/load.js';
import { resolveDataPath } from '../../src/config/paths.js';
import { ConfigError } from '../../src/errors.js';
import { decidePromotion } from '../../src/policy/promotion-policy.js';
import { expandArgs } from '../../src/runner/run-command.js';

const model = {
  data: { current: 'd/c.csv', evaluation: 'd/e.csv', target: 'y' },
  train: { command: ['python', 'train.py'] },
  evaluate: { command: ['python', 'eval.py'] },
  promotion: { metric: 'auc' },
};

describe('promotion policy', () => {
  const policy = { metric: 'auc', direction: 'maximize' as const, floor: 0.7, minImprovement: 0.01, minRelativeImprovement: 0, guards: {} };
  it('judges the first model by the floor alone', () => {
    assert.equal(decidePromotion(policy, { auc: 0.75 }, null).promote, true);
    assert.match(decidePromotion(policy, { auc: 0.65 }, null).reason, /misses the floor 0.7/);
  });
  it('promotes only a candidate that beats production by the minimum improvement', () => {
    assert.equal(decidePromotion(policy, { auc: 0.82 }, { auc: 0.8 }).promote, true);
    assert.match(decidePromotion(policy, { auc: 0.805 }, { auc: 0.8 }).reason, /below the minimum improvement/);
    assert.match(decidePromotion(policy, { auc: 0.79 }, { auc: 0.8 }).reason, /not better/);
  });
  it('respects direction for loss-like metrics', () => {
    const loss = { ...policy, metric: 'logloss', direction: 'minimize' as const, floor: 1, minImprovement: 0 };
    assert.equal(decidePromotion(loss, { logloss: 0.4 }, { logloss: 0.5 }).promote, true);
    assert.equal(decidePromotion(loss, { logloss: 0.6 }, { logloss: 0.5 }).promote, false);
  });
  it('rejects a candidate without the metric', () => {
    assert.match(decidePromotion(policy, { accuracy: 0.9 }, null).reason, /no "auc" metric/);
  });
});

describe('config', () => {
  it('applies defaults', () => {
    const c = parseConfig({ version: 1, models: { churn: model } }, '/x/retrain.config.yaml');
    assert.equal(c.models.churn!.steps.train.heartbeatTimeout, '30s');
    assert.equal(c.stateDir, '/x/.retrain');
  });
  it('names the file, the path and the bad value; unknown keys are errors', () => {
    assert.throws(
      () => parseConfig({ version: 1, models: { churn: { ...model, trigger: { cooldown: 'soon', colldown: '1h' } } } }, 'cfg.yaml'),
      (err: Error) => err instanceof ConfigError && /cfg\.yaml/.test(err.message) && /models\.churn\.trigger\.cooldown/.test(err.message) && /"soon"/.test(err.message) && /colldown/.test(err.message),
    );
  });
  it('refuses bad model names and negative thresholds', () => {
    assert.throws(() => parseConfig({ version: 1, models: { 'Bad Name': model } }, 'c.yaml'), ConfigError);
    assert.throws(() => parseConfig({ version: 1, models: { churn: { ...model, promotion: { metric: 'auc', minImprovement: -1 } } } }, 'c.yaml'), /minImprovement/);
  });
  it('environment variables override thresholds', () => {
    const raw = { version: 1, models: { churn: { ...model, trigger: { maxRelativeDrop: 0.05 } } } };
    const out = applyEnvOverrides(raw, { RETRAIN__CHURN__TRIGGER__MAXRELATIVEDROP: '0.1' }) as typeof raw;
    assert.equal(out.models.churn.trigger.maxRelativeDrop, 0.1);
  });
});

describe('untrusted input stays data', () => {
  it('refuses data paths outside the data roots', () => {
    assert.throws(() => resolveDataPath('../../etc/passwd', '/srv/p', ['/srv/p/data'], 'data.current'), /outside the data roots/);
    assert.equal(resolveDataPath('data/x.csv', '/srv/p', ['/srv/p/data'], 'f'), '/srv/p/data/x.csv');
    assert.throws(() => resolveDataPath('/tmp/**/x.csv', '/srv/p', ['/srv/p/data'], 'f'), /outside/);
  });
  it('placeholders fill one argv token and never add arguments', () => {
    assert.deepEqual(expandArgs(['train', '--data', '{data}'], { data: 'a b; rm -rf /' }), ['train', '--data', 'a b; rm -rf /']);
  });
});

describe('config YAML', () => {
  it('loads a config that shares one block among 100 models through anchors and aliases', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { stringify } = await import('yaml');
    const { loadConfig } = await import('../../src/config/load.js');
    const m = { ...model, validation: { columns: { a: { min: 0 }, b: { min: 1 } } }, train: { command: ['python', 'train.py'], params: { layers: [1, 2, 3] } } };
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-cfg-')), 'retrain.config.yaml');
    const text = stringify({ version: 1, models: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`m${i}`, m])) });
    assert.ok(text.includes('*a'), 'the file uses aliases');
    writeFileSync(file, text);
    assert.equal(Object.keys(loadConfig(file).models).length, 100);
  });
});
