import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { makeProject } from '../helpers/project.js';

const retrain = (args: string[], env: Record<string, string> = {}) =>
  execa(path.join(PROJECT_ROOT, 'bin/retrain.js'), args, { reject: false, env });
const fixture = (name: string) => path.join(PROJECT_ROOT, 'test/fixtures/drift', name);

describe('retrain data … (spawned as a user runs it)', () => {
  it('drift: a drifted dataset exits 3 and --json carries per-column results and the verdict', async () => {
    const r = await retrain(['data', 'drift', fixture('lognormal-large-ref.csv'), fixture('lognormal-large-cur.csv'), '--json']);
    assert.equal(r.exitCode, 3);
    const report = JSON.parse(r.stdout);
    assert.equal(report.datasetDrift, true);
    assert.equal(report.columns[0].test, 'wasserstein');
    assert.equal(typeof report.columns[0].statistic, 'number');
  });

  it('drift: same distribution exits 0; --test and --threshold override the default', async () => {
    const r = await retrain(['data', 'drift', fixture('same-ref.csv'), fixture('same-cur.csv'), '--test', 'psi', '--threshold', '0.2', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.columns[0].test, 'psi');
    assert.equal(report.columns[0].threshold, 0.2);
  });

  it('fingerprint and profile print tables and JSON', async () => {
    const fp = JSON.parse((await retrain(['data', 'fingerprint', fixture('binary-ref.csv'), '--json'])).stdout);
    assert.match(fp.sha256, /^[0-9a-f]{64}$/);
    assert.equal(fp.rows, 900);
    const table = await retrain(['data', 'profile', fixture('normal-small-ref.csv')]);
    assert.equal(table.exitCode, 0);
    assert.match(table.stdout, /null %/);
  });

  it('validate: violations exit 2 and name the column and rule', async () => {
    const p = await makeProject({ validation: { columns: { monthly_charges: { max: 50 } } } });
    const r = await retrain(['data', 'validate', path.join(p.dataDir, 'current.csv'), '--model', 'churn', '--json'], { RETRAIN_CONFIG: p.configFile });
    assert.equal(r.exitCode, 2);
    const report = JSON.parse(r.stdout);
    assert.ok(report.violations.some((v: { column: string; rule: string }) => v.column === 'monthly_charges' && v.rule === 'range'));
  });

  // Issue 16 item 6: `config validate` said "valid" for all three; check would fail (or ignore the rule) at run time.
  it('config validate runs the path and column rules check runs: outside the data roots, a missing file, a rule for a missing column', async () => {
    const p = await makeProject({ validation: { columns: { no_such_column: { max: 1 } } }, drift: { columns: ['tenure_months', 'gone_col'] } });
    const clean = await retrain(['config', 'validate'], { RETRAIN_CONFIG: makeValidConfig(p) });
    assert.equal(clean.exitCode, 0, clean.stdout + clean.stderr);
    const r = await retrain(['config', 'validate', '--json'], { RETRAIN_CONFIG: p.configFile });
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    const problems = (JSON.parse(r.stdout) as { problems: { field: string; value: string }[] }).problems;
    assert.deepEqual(problems.map((x) => `${x.field}=${x.value}`).sort(), ['models.churn.drift.columns=gone_col', 'models.churn.validation.columns.no_such_column=no_such_column']);
    p.writeConfig({ data: { current: '../../outside.csv', evaluation: 'data/missing.csv' } });
    const paths = await retrain(['config', 'validate'], { RETRAIN_CONFIG: p.configFile });
    assert.equal(paths.exitCode, 2);
    assert.match(paths.stdout, /models\.churn\.data.*outside\.csv|outside the data roots|dataRoots/);
  });

  it('an invalid config names the file, the field and the value', async () => {
    const p = await makeProject({ promotion: { metric: 'auc', direction: 'upwards' } });
    const r = await retrain(['config', 'validate'], { RETRAIN_CONFIG: p.configFile });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /retrain\.config\.yaml/);
    assert.match(r.stderr, /models\.churn\.promotion\.direction/);
    assert.match(r.stderr, /"upwards"/);
  });
});

/** The same project's config without the two bad rules. */
function makeValidConfig(p: { configFile: string }): string {
  const text = readFileSync(p.configFile, 'utf8');
  const cfg = parse(text) as { models: { churn: { validation: { columns: Record<string, unknown> }; drift: { columns?: string[] } } } };
  delete cfg.models.churn.validation.columns.no_such_column;
  delete cfg.models.churn.drift.columns;
  const file = p.configFile.replace(/\.yaml$/, '.valid.yaml');
  writeFileSync(file, stringify(cfg));
  return file;
}
