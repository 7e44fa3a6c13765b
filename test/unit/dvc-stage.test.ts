import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, FailureType, RetrainError } from '../../src/errors.js';
import { flattenMetrics, parseDvcYaml, setParams, splitStageTarget, trainingOutputs } from '../../src/lineage/dvc-stage.js';
import { LINEAGE_LIMITS, readLineageTags } from '../../src/runner/contract.js';

const DVC_YAML = `
stages:
  prepare:
    cmd: python prepare.py
    deps: [data/raw.csv]
    outs: [data/prepared.csv]
  train:
    cmd: python train.py
    wdir: ml
    deps: [../data/prepared.csv, train.py]
    params: [train.epochs]
    outs:
      - model
      - reports/importance.png:
          cache: false
    metrics:
      - metrics.json:
          cache: false
    plots: [reports/roc.csv]
  sweep:
    foreach: [1, 2]
    do:
      cmd: echo \${item}
`;

const isConfigError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
  assert.match(err.message, pattern);
  return true;
};

describe('dvc.yaml: stages, outs and metrics of a training stage', () => {
  it('reads deps, outs, metrics and plots with wdir applied; foreach templates are left out', () => {
    const stages = parseDvcYaml(DVC_YAML, 'dvc.yaml');
    assert.deepEqual([...stages.keys()], ['prepare', 'train']);
    const train = stages.get('train')!;
    assert.deepEqual(train.deps, ['data/prepared.csv', 'ml/train.py']);
    assert.deepEqual(train.metrics, ['ml/metrics.json']);
    assert.deepEqual(train.plots, ['ml/reports/roc.csv']);
    assert.deepEqual(train.outs, ['ml/model', 'ml/reports/importance.png', 'ml/metrics.json', 'ml/reports/roc.csv']);
    assert.deepEqual(stages.get('prepare')!.outs, ['data/prepared.csv']);
  });

  it('the model is the one out besides metrics and plots, or the configured one; otherwise a clear error', () => {
    const stages = parseDvcYaml(DVC_YAML, 'dvc.yaml');
    assert.throws(() => trainingOutputs(stages.get('train')!, 'dvc.yaml'), isConfigError(/stage train has 2 outs besides metrics and plots \(ml\/model, ml\/reports\/importance.png\); name the model's with train.dvc.model/));
    assert.deepEqual(trainingOutputs(stages.get('train')!, 'dvc.yaml', 'ml/model'), { model: 'ml/model', metrics: ['ml/metrics.json'] });
    assert.throws(() => trainingOutputs(stages.get('train')!, 'dvc.yaml', 'ml/other'), isConfigError(/train.dvc.model: "ml\/other" is not an out of stage train/));
    assert.throws(() => trainingOutputs(stages.get('prepare')!, 'dvc.yaml'), isConfigError(/stage prepare declares no metrics/));
  });

  it('malformed dvc.yaml names the file and field', () => {
    assert.throws(() => parseDvcYaml('stages: [a]', 'sub/dvc.yaml'), isConfigError(/sub\/dvc.yaml: field stages: expected a map/));
    assert.throws(() => parseDvcYaml('stages:\n  t:\n    outs: model\n', 'dvc.yaml'), isConfigError(/field stages.t.outs: expected a list, got "model"/));
    assert.throws(() => parseDvcYaml('stages:\n  t:\n    outs: [{a: 1, b: 2}]\n', 'dvc.yaml'), isConfigError(/stages.t.outs\[0\]: expected a path/));
    assert.throws(() => parseDvcYaml('stages: {t: [}', 'dvc.yaml'), isConfigError(/dvc.yaml: not valid YAML/));
  });

  it('stage targets split as dvc repro reads them', () => {
    assert.deepEqual(splitStageTarget('train'), { file: 'dvc.yaml', stage: 'train' });
    assert.deepEqual(splitStageTarget('ml/dvc.yaml:train'), { file: 'ml/dvc.yaml', stage: 'train' });
    assert.deepEqual(splitStageTarget('ml:train'), { file: 'ml/dvc.yaml', stage: 'train' });
  });

  it('metrics flatten to dotted numbers; params merge like --set-param', () => {
    assert.deepEqual(flattenMetrics({ auc: 0.8, test: { f1: 0.5, note: 'x', n: [1] } }), { auc: 0.8, 'test.f1': 0.5 });
    const params = setParams({ train: { epochs: 5, lr: 0.1 }, other: 1 }, { 'train.epochs': 60, prepare: { split: 0.2 }, train2: 3 });
    assert.deepEqual(params, { train: { epochs: 60, lr: 0.1 }, other: 1, prepare: { split: 0.2 }, train2: 3 });
    assert.deepEqual(setParams({ train: { epochs: 5, lr: 0.1 } }, { train: { epochs: 9 } }), { train: { epochs: 9, lr: 0.1 } });
  });
});

describe('lineage.json: the trainer\'s string tags', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'retrain-lineage-'));
  const isContract = (pattern: RegExp) => (err: unknown) => {
    assert.ok(err instanceof RetrainError && err.type === FailureType.Contract, `a contract error, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };

  it('absent is no tags; a flat object of strings is read as is', async () => {
    const d = dir();
    assert.equal(await readLineageTags(d, 'training command'), null);
    writeFileSync(path.join(d, 'lineage.json'), JSON.stringify({ 'feature_store.snapshot': 'fs-1', upstream_job: '42' }));
    assert.deepEqual(await readLineageTags(d, 'training command'), { 'feature_store.snapshot': 'fs-1', upstream_job: '42' });
  });

  it('anything else fails the step, naming the file and the tag', async () => {
    const d = dir();
    const bad = async (content: string, pattern: RegExp) => {
      writeFileSync(path.join(d, 'lineage.json'), content);
      await assert.rejects(readLineageTags(d, 'training command'), isContract(pattern));
    };
    await bad('{"a": 1}', /lineage.json: tag "a" is 1, expected a string/);
    await bad('{"a": {"b": "c"}}', /tag "a" is \{"b":"c"\}, expected a string/);
    await bad('["a"]', /expected a JSON object of tag name → string/);
    await bad('{oops', /lineage.json: not valid JSON/);
    await bad('{"has space": "x"}', /tag name "has space" must be/);
    await bad(JSON.stringify({ a: 'x'.repeat(LINEAGE_LIMITS.maxValue + 1) }), /tag "a" is 1001 characters, over the limit of 1000/);
    await bad(JSON.stringify(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']))), /51 tags, over the limit of 50/);
    await bad(JSON.stringify({ a: 'x'.repeat(20_000) }), /bytes, over the 16384-byte limit/);
  });
});

describe('train.dvc config', () => {
  const base = {
    data: { current: 'data/c.csv', evaluation: 'data/e.csv', target: 'y' },
    evaluate: { command: ['python', 'eval.py'] },
    promotion: { metric: 'auc' },
  };
  const load = (train: unknown) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-cfg-'));
    const file = path.join(dir, 'retrain.config.yaml');
    writeFileSync(file, stringify({ version: 1, models: { m: { ...base, train } } }));
    return loadConfig(file, {});
  };

  it('takes exactly one of train.command and train.dvc', () => {
    assert.equal(load({ dvc: { stage: 'train' } }).models.m!.train.dvc?.stage, 'train');
    assert.equal(load({ dvc: { stage: 'ml/dvc.yaml:train', push: true, remote: 'storage' } }).models.m!.train.dvc?.push, true);
    assert.throws(() => load({ command: ['python', 'train.py'], dvc: { stage: 'train' } }), isConfigError(/train.*set exactly one of train.command .* or train.dvc .*, got both/));
    assert.throws(() => load({ params: { a: 1 } }), isConfigError(/train.*set exactly one of train.command .* or train.dvc .*, got neither/));
  });

  it('a stage name cannot be an option or a shell word', () => {
    assert.throws(() => load({ dvc: { stage: '--force' } }), isConfigError(/stage/));
    assert.throws(() => load({ dvc: { stage: 'train; rm -rf /' } }), isConfigError(/stage/));
    assert.throws(() => load({ dvc: { stage: 'train', model: '../outside' } }), isConfigError(/model/));
  });
});
