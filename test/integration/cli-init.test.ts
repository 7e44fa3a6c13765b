import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

const retrain = (cwd: string, ...args: string[]) => execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { cwd, reject: false, env: { RETRAIN_CONFIG: '' } });

describe('retrain init (spawned as a user runs it)', () => {
  it('scaffolds a config, a model and data that validate and train; refuses to overwrite', async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'retrain-init-')), 'project');
    const made = await retrain(PROJECT_ROOT, 'init', dir);
    assert.equal(made.exitCode, 0, made.stderr);
    assert.match(made.stdout, /npx retrain config validate/);
    assert.doesNotMatch(readFileSync(path.join(dir, 'retrain.config.yaml'), 'utf8'), new RegExp(PROJECT_ROOT.replace(/[/.]/g, '\\$&')), 'no path of this clone in the scaffold');
    for (const f of ['retrain.config.yaml', 'model/train.mjs', 'model/evaluate.mjs', 'model/model.mjs', '.gitignore', 'data/current.csv', 'data/eval.csv']) assert.ok(existsSync(path.join(dir, f)), f);
    const valid = await retrain(dir, 'config', 'validate');
    assert.equal(valid.exitCode, 0, valid.stderr);
    const data = await retrain(dir, 'data', 'validate', 'data/current.csv', '--model', 'churn', '--json');
    assert.equal(data.exitCode, 0, data.stderr);
    assert.equal(JSON.parse(data.stdout).passed, true);
    // The scaffolded training command honours the contract from inside the new folder.
    const cmd = (parse(readFileSync(path.join(dir, 'retrain.config.yaml'), 'utf8')) as { models: { churn: { train: { command: string[] } } } }).models.churn.train.command;
    assert.deepEqual(cmd, ['node', 'model/train.mjs'], 'found on PATH when it runs, not this machine\'s node');
    const out = path.join(dir, 'out');
    mkdirSync(path.join(out, 'model'), { recursive: true });
    const train = await execa(cmd[0]!, cmd.slice(1), { cwd: dir, reject: false, env: { PATH: process.env.PATH!, RETRAIN_DATA: 'data/current.csv', RETRAIN_TARGET: 'churned', RETRAIN_PARAMS: '{"epochs":30,"exclude":["customer_id"]}', RETRAIN_MODEL_DIR: path.join(out, 'model'), RETRAIN_OUTPUT: out } });
    assert.equal(train.exitCode, 0, train.stderr);
    assert.ok(JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')).auc > 0.6);
    const again = await retrain(PROJECT_ROOT, 'init', dir);
    assert.equal(again.exitCode, 2);
    assert.match(again.stderr, /already has a retrain.config.yaml; nothing written/);
  });
});
