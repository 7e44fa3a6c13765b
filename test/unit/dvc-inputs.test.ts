import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { changedInputs, inputsDigest } from '../../src/lineage/inputs.js';
import { decideRetrain, EMPTY_MEMORY, type Evidence } from '../../src/policy/trigger-policy.js';

const MD5 = (c: string) => c.repeat(32);

function repo() {
  const root = mkdtempSync(path.join(tmpdir(), 'dvc-inputs-'));
  mkdirSync(path.join(root, '.dvc'));
  mkdirSync(path.join(root, 'data'));
  mkdirSync(path.join(root, 'src', 'features'), { recursive: true });
  writeFileSync(path.join(root, 'data', 'current.csv.dvc'), `outs:\n- md5: ${MD5('a')}\n  path: current.csv\n`);
  writeFileSync(path.join(root, 'params.yaml'), 'train:\n  epochs: 50\n  lr: 0.1\n');
  const lock = (trainPy: string) =>
    writeFileSync(path.join(root, 'dvc.lock'), `schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data/current.csv\n      md5: ${MD5('a')}\n    - path: train.py\n      md5: ${MD5(trainPy)}\n  unrelated:\n    deps:\n    - path: other.csv\n      md5: ${MD5('e')}\n`);
  lock('b');
  writeFileSync(path.join(root, 'src', 'features', 'a.py'), 'x = 1\n');
  writeFileSync(path.join(root, 'src', 'notes.txt'), 'not matched\n');
  const plan = { configFile: path.join(root, 'retrain.config.yaml'), stateDir: path.join(root, '.retrain'), data: { current: path.join(root, 'data', 'current.csv') }, train: { inputs: ['src/**/*.py'] } };
  return { root, plan, lock };
}

describe('inputs that decide a training result besides data and params', () => {
  it('params.yaml by value, dvc.lock deps of the stage reading the data, train.inputs globs by bytes', async () => {
    const { root, plan, lock } = repo();
    const d1 = (await inputsDigest(plan))!;
    assert.deepEqual(Object.keys(d1.files), ['dvc.lock:train:train.py', 'params.yaml', 'src/features/a.py']);
    // Comments and key order are not a change; a value is.
    writeFileSync(path.join(root, 'params.yaml'), '# tuned\ntrain:\n  lr: 0.1\n  epochs: 50\n');
    assert.equal((await inputsDigest(plan))!.sha256, d1.sha256);
    writeFileSync(path.join(root, 'params.yaml'), 'train:\n  epochs: 80\n  lr: 0.1\n');
    assert.deepEqual(changedInputs(d1, await inputsDigest(plan)), ['params.yaml']);
    lock('c');
    writeFileSync(path.join(root, 'src', 'features', 'b.py'), 'y = 2\n');
    assert.deepEqual(changedInputs(d1, await inputsDigest(plan)), ['dvc.lock:train:train.py', 'params.yaml', 'src/features/b.py']);
  });

  it('a model that is neither DVC-driven nor lists inputs has none; a production version without a digest counts as unchanged', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'no-inputs-'));
    writeFileSync(path.join(dir, 'params.yaml'), 'a: 1\n');
    assert.equal(await inputsDigest({ configFile: path.join(dir, 'c.yaml'), stateDir: path.join(dir, '.retrain'), data: { current: path.join(dir, 'd.csv') }, train: {} }), null);
    assert.equal(changedInputs(undefined, { sha256: 'x', files: { 'params.yaml': 'y' } }), null);
  });

  it('the policy: changed inputs retrain with the names as reason; a result without the field (older histories) skips as before', () => {
    const e: Evidence = { dataUnchanged: true, paramsUnchanged: true, production: { version: 2, createdAt: new Date().toISOString() }, drift: null, predictionDrift: null, performance: null, newRows: 0 };
    const ctx = { reasons: ['new_data'], force: false, explicit: [], nowMs: Date.now() };
    const policy = triggerPolicySchema.parse({});
    const old = decideRetrain(policy, e, ctx, EMPTY_MEMORY);
    assert.deepEqual([old.retrain, old.reason], [false, 'data and params unchanged since production v2 was trained']);
    assert.equal(decideRetrain(policy, { ...e, inputsUnchanged: true }, ctx, EMPTY_MEMORY).retrain, false);
    const changed = decideRetrain(policy, { ...e, inputsUnchanged: false, inputsChanged: ['params.yaml'] }, ctx, EMPTY_MEMORY);
    assert.deepEqual([changed.retrain, changed.reason], [true, 'inputs changed: params.yaml']);
  });
});
