import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { CONFIG_LIMITS, configParseCount, loadConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { DataEngine } from '../../src/data/engine.js';
import { datasetFiles } from '../../src/data/fingerprint.js';
import { ConfigError } from '../../src/errors.js';

const model = {
  data: { current: 'data/c.csv', evaluation: 'data/e.csv', target: 'y' },
  train: { command: ['python', 'train.py'] },
  evaluate: { command: ['python', 'eval.py'] },
  promotion: { metric: 'auc' },
};

const tmp = () => mkdtempSync(path.join(tmpdir(), 'retrain-cfg-'));
function writeConfig(dir: string, body: unknown, name = 'retrain.config.yaml'): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof body === 'string' ? body : stringify(body));
  return file;
}
const isConfigError = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
  assert.match(err.message, pattern);
  return true;
};

describe('config size limits (issue 13, item 16)', () => {
  it('refuses a billion-laughs alias expansion fast, naming the limit', () => {
    // Nine levels of ten aliases each: 10^9 leaves once expanded, a few hundred bytes on disk.
    const lines = ['a0: &a0 "lol"'];
    for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const file = writeConfig(tmp(), `${lines.join('\n')}\nversion: 1\nmodels: {}\n`);
    const started = process.hrtime.bigint();
    assert.throws(() => loadConfig(file, {}), isConfigError(/limit/));
    // Not a timing assertion on the result: the point is that it returned at all instead of expanding 10^9 nodes.
    assert.ok(process.hrtime.bigint() > started);
  });

  it('refuses aliases that expand past the JSON size limit, even within the alias budget', () => {
    const big = 'x'.repeat(100_000);
    // 50 aliases of a 100 KB string: 5 MB expanded, under yaml's alias budget.
    const text = `big: &big "${big}"\nversion: 1\nmodels:\n  m:\n    data: { current: c.csv, evaluation: e.csv, target: y }\n    train: { command: [a], params: { ${Array.from({ length: 50 }, (_, i) => `p${i}: *big`).join(', ')} } }\n    evaluate: { command: [b] }\n    promotion: { metric: auc }\n`;
    const file = writeConfig(tmp(), text);
    assert.throws(() => loadConfig(file, {}), isConfigError(new RegExp(`more than ${CONFIG_LIMITS.expandedBytes} bytes .*limit`)));
  });

  it('refuses a config file over 1 MiB, naming its size and the limit', () => {
    const file = writeConfig(tmp(), `# ${'x'.repeat(2 * 1024 * 1024)}\nversion: 1\n`);
    assert.throws(() => loadConfig(file, {}), isConfigError(/config is 2097\d+ bytes, over the 1048576-byte \(1 MiB\) limit/));
  });

  it('refuses a model plan too large for workflow history, naming the model and the size', () => {
    const dir = tmp();
    const file = writeConfig(dir, { version: 1, models: { big: { ...model, train: { command: ['t'], params: { blob: 'y'.repeat(600 * 1024) } } } } });
    assert.throws(() => planModel(loadConfig(file, {}), 'big'), isConfigError(/models\.big: the model's plan is \d+ bytes of JSON, over the 524288-byte/));
  });
});

describe('config parse cache (issue 13, item 16)', () => {
  it('returns the cached parse for an unchanged file and re-reads an edited one', () => {
    const dir = tmp();
    const file = writeConfig(dir, { version: 1, models: { m: model } });
    const first = loadConfig(file, {});
    const parses = configParseCount();
    const again = loadConfig(file, {});
    assert.equal(again, first, 'the same object');
    assert.equal(configParseCount(), parses, 'no second parse');
    assert.ok(Object.isFrozen(first.models.m!.promotion), 'shared, so frozen');
    writeConfig(dir, { version: 1, models: { m: { ...model, promotion: { metric: 'f1' } } } });
    const edited = loadConfig(file, {});
    assert.equal(edited.models.m!.promotion.metric, 'f1');
    assert.equal(configParseCount(), parses + 1);
    // An override is part of the key: the same file with another override is parsed again.
    const overridden = loadConfig(file, { RETRAIN__M__PROMOTION__FLOOR: '0.7' });
    assert.equal(overridden.models.m!.promotion.floor, 0.7);
    assert.equal(loadConfig(file, {}).models.m!.promotion.floor, edited.models.m!.promotion.floor);
  });
});

describe('env overrides name the variable (issue 13, item 17)', () => {
  const file = writeConfig(tmp(), { version: 1, models: { churn: model, fraud: model } });
  it('a value that is not a YAML scalar names the variable', () => {
    assert.throws(() => loadConfig(file, { RETRAIN__CHURN__PROMOTION__FLOOR: '0.7\nfoo: [' }), isConfigError(/^RETRAIN__CHURN__PROMOTION__FLOOR: value is not a YAML scalar/));
  });
  it('an override of no configured model names the variable and lists the models', () => {
    assert.throws(() => loadConfig(file, { RETRAIN__FOO: '1' }), isConfigError(/^RETRAIN__FOO: .*\(configured: churn, fraud\)/));
    assert.throws(() => loadConfig(file, { RETRAIN__NOPE__TRIGGER__COOLDOWN: '1h' }), isConfigError(/^RETRAIN__NOPE__TRIGGER__COOLDOWN: no model "nope" .*\(configured: churn, fraud\)/));
  });
  it('a schema error caused by an override mentions the variable that set the field', () => {
    assert.throws(() => loadConfig(file, { RETRAIN__CHURN__PROMOTION__FLOOR: 'high' }), isConfigError(/models\.churn\.promotion\.floor: .*\(got "high"\) \(set by RETRAIN__CHURN__PROMOTION__FLOOR\)/));
    assert.throws(() => loadConfig(file, { RETRAIN__CHURN__TRIGGER__COLDOWN: '1h' }), isConfigError(/models\.churn\.trigger: unknown key "coldown" \(did you mean "cooldown"\?\).*\(set by RETRAIN__CHURN__TRIGGER__COLDOWN\)/i));
  });
  it('a valid override still applies, case-insensitively', () => {
    assert.equal(loadConfig(file, { RETRAIN__CHURN__PROMOTION__FLOOR: '0.75' }).models.churn!.promotion.floor, 0.75);
  });
});

describe('data roots hold through symbolic links (issue 13, item 6)', () => {
  function project() {
    const dir = tmp();
    const outside = mkdtempSync(path.join(tmpdir(), 'retrain-outside-'));
    writeFileSync(path.join(outside, 'secret.csv'), 'y,x\n1,2\n');
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'e.csv'), 'y,x\n1,2\n');
    return { dir, outside };
  }
  const plan = (dir: string, current: string) =>
    planModel(loadConfig(writeConfig(dir, { version: 1, dataRoots: ['data'], models: { m: { ...model, data: { ...model.data, current } } } }), {}), 'm');

  it('refuses a symlinked file inside the root that points outside, at plan', () => {
    const { dir, outside } = project();
    symlinkSync(path.join(outside, 'secret.csv'), path.join(dir, 'data', 'c.csv'));
    assert.throws(() => plan(dir, 'data/c.csv'), isConfigError(/models\.m\.data\.current: path "data\/c\.csv" resolves through a symbolic link to .*retrain-outside-.*secret\.csv, outside the data roots/));
  });
  it('refuses a path through a symlinked directory that points outside, at plan', () => {
    const { dir, outside } = project();
    symlinkSync(outside, path.join(dir, 'data', 'linked'));
    assert.throws(() => plan(dir, 'data/linked/secret.csv'), isConfigError(/models\.m\.data\.current: .*symbolic link.*outside the data roots/));
    assert.throws(() => plan(dir, 'data/linked/*.csv'), isConfigError(/symbolic link.*outside the data roots/));
  });
  it('refuses a glob that expands to a symlink pointing outside, when the data is read', async () => {
    const { dir, outside } = project();
    writeFileSync(path.join(dir, 'data', 'part-1.csv'), 'y,x\n1,2\n');
    symlinkSync(path.join(outside, 'secret.csv'), path.join(dir, 'data', 'part-2.csv'));
    const p = plan(dir, 'data/part-*.csv');
    const engine = await DataEngine.open();
    try {
      await assert.rejects(datasetFiles(engine, p.data.current, p.dataRoots), (err: Error) => {
        assert.equal(err.name, 'DataSourceError');
        assert.match(err.message, /part-2\.csv resolves through a symbolic link to .*secret\.csv, outside the data roots/);
        return true;
      });
      // A link that stays inside the roots is fine.
      const inside = tmp();
      mkdirSync(path.join(inside, 'data'));
      writeFileSync(path.join(inside, 'data', 'real.csv'), 'y,x\n1,2\n');
      symlinkSync(path.join(inside, 'data', 'real.csv'), path.join(inside, 'data', 'c.csv'));
      writeFileSync(path.join(inside, 'data', 'e.csv'), 'y,x\n1,2\n');
      const ok = plan(inside, 'data/c.csv');
      assert.equal((await datasetFiles(engine, ok.data.current, ok.dataRoots)).length, 1);
    } finally {
      engine.close();
    }
  });
});
