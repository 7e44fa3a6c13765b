import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
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

  it('an invalid config names the file, the field and the value', async () => {
    const p = await makeProject({ promotion: { metric: 'auc', direction: 'upwards' } });
    const r = await retrain(['config', 'validate'], { RETRAIN_CONFIG: p.configFile });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /retrain\.config\.yaml/);
    assert.match(r.stderr, /models\.churn\.promotion\.direction/);
    assert.match(r.stderr, /"upwards"/);
  });
});
