import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  symlinkSync,
  readFileSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { stringify } from 'yaml';
import { defaultDeps } from '../../src/activities/deps.js';
import { loadConfig } from '../../src/config/load.js';
import { DataEngine } from '../../src/data/engine.js';
import { NON_RETRYABLE_TYPES } from '../../src/errors.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { generate } from '../../examples/churn/generate.js';

const BAD = path.join(PROJECT_ROOT, 'test/fixtures/bad');

/** Corpus file → what the failure must say (besides naming the file). */
const DATA_CASES: Record<string, { step: 'check' | 'validate'; message: RegExp }> = {
  'malformed.csv': { step: 'check', message: /malformed CSV: line 12 opens a quote that is never closed/ },
  'truncated.csv': { step: 'check', message: /malformed CSV: line 41 has 4 field\(s\), the header has 9/ },
  'empty.csv': { step: 'check', message: /no data rows \(an empty file or only a header/ },
  'header-only.csv': { step: 'check', message: /no data rows \(an empty file or only a header; columns: customer_id, tenure_months/ },
  'wrong-types.csv': { step: 'validate', message: /tenure_months: type: expected integer, observed string/ },
  'nan-inf.csv': { step: 'validate', message: /monthly_charges: finite: expected finite numbers/ },
  'missing-column.csv': {
    step: 'validate',
    message: /contract: required: expected column present, observed missing/,
  },
  'extra-column.csv': {
    step: 'validate',
    message:
      /notes: schema: expected only columns the production model was trained with, observed new column/,
  },
  'unknown-category.csv': {
    step: 'validate',
    message: /contract: allowed: expected month-to-month\|one-year\|two-year, observed unknown categories/,
  },
  'duplicate-keys.csv': {
    step: 'validate',
    message: /customer_id: uniqueKey: expected unique, observed duplicates/,
  },
  'non-utf8.csv': { step: 'check', message: /not utf-8 encoded/ },
  'long-line.csv': { step: 'check', message: /malformed CSV|maximum line size|line size/ },
  'truncated.parquet': { step: 'check', message: /cannot read data/ },
  // Issue 13: DuckDB would rename the second "contract" to "Contract_1" and test it as a column nobody named.
  'duplicate-columns.csv': { step: 'check', message: /duplicate column names: "contract" and "Contract"/ },
  // Issue 13: a bad value after DuckDB's type-sniffing window (20,480 rows) used to pass validation.
  'late-bad-value.csv': {
    step: 'validate',
    message: /tenure_months: type: expected integer, observed integer \(BIGINT\): 1 of 30000 value\(s\) not integer, the first "oops" at row 25002/,
  },
};

const registryState = (p: TestProject) =>
  readFileSync(path.join(p.dir, '.retrain', 'registry', p.model, 'index.json'), 'utf8');

async function activityAttempts(client: Client, workflowId: string): Promise<number[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
}

describe('bad-input corpus (test/fixtures/bad)', () => {
  it('every bad dataset fails fast with a typed, non-retryable error naming the file and the problem; production and registry stay as they were', async () => {
    const rules = {
      validation: {
        minRows: 10,
        uniqueKey: ['customer_id'],
        newColumns: 'error',
        columns: {
          tenure_months: { type: 'integer', min: 0, max: 120 },
          monthly_charges: { type: 'numeric', min: 0, max: 1000 },
          contract: { type: 'string', allowed: ['month-to-month', 'one-year', 'two-year'] },
        },
      },
    };
    const p = await makeProject(rules, 1500, 'churn-bad');
    const current = path.join(p.dataDir, 'current.csv');
    const good = readFileSync(current);
    // Generated members of the corpus: a 1 MB single line, and a Parquet file cut short.
    const extra = path.join(p.dir, 'generated');
    mkdirSync(extra);
    writeFileSync(
      path.join(extra, 'long-line.csv'),
      `${good.toString().split('\n')[0]}\n${'x'.repeat(1 << 20)}\n`,
    );
    const engine = await DataEngine.open();
    const parquet = path.join(extra, 'truncated.parquet');
    await engine.rows(
      `COPY (SELECT * FROM read_csv($1)) TO '${parquet.replace(/'/g, "''")}' (FORMAT parquet)`,
      [current],
    );
    engine.close();
    truncateSync(parquet, Math.floor(statSync(parquet).size / 2));
    // 30,000 good rows, one of them (data row 25,002) with text in an integer column.
    const late = path.join(extra, 'late-bad-value.csv');
    await generate({ rows: 30_000, seed: 3, shift: 0, out: late });
    const lateLines = readFileSync(late, 'utf8').split('\n');
    lateLines[25_002] = lateLines[25_002]!.replace(/^(\d+),\d+,/, '$1,oops,');
    writeFileSync(late, lateLines.join('\n'));

    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (id: string) =>
        client.workflow.execute(retrainPipeline, {
          taskQueue,
          workflowId: id,
          args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }] }],
        });
      const first = await run(`retrain/churn-bad/good-${Date.now()}`);
      assert.equal(first.outcome, 'promoted', first.reason);
      const before = registryState(p);
      const files = [
        ...readdirSync(BAD)
          .filter((f) => f !== 'README.md')
          .map((f) => path.join(BAD, f)),
        path.join(extra, 'long-line.csv'),
        parquet,
        late,
      ];
      assert.deepEqual(
        files.map((f) => path.basename(f)).sort(),
        Object.keys(DATA_CASES).sort(),
        'every corpus file has an expectation',
      );
      for (const file of files) {
        const name = path.basename(file);
        const expected = DATA_CASES[name]!;
        // The config points at data/current.<ext>; the bad file takes its place.
        const target = path.join(p.dataDir, name.endsWith('.parquet') ? 'current.parquet' : 'current.csv');
        copyFileSync(file, target);
        p.writeConfig({ ...rules, data: { current: path.relative(p.dir, target) } });
        const id = `retrain/churn-bad/${name}-${Date.now()}`;
        const r = await run(id);
        assert.equal(r.outcome, 'failed', `${name}: ${r.reason}`);
        assert.ok(r.outcome === 'failed');
        assert.equal(r.step, expected.step, `${name}: failed at ${r.step}: ${r.reason}`);
        assert.ok(
          NON_RETRYABLE_TYPES.includes(r.error.type),
          `${name}: ${r.error.type} should be a typed permanent failure`,
        );
        assert.ok(
          r.error.message.includes(target) || r.error.message.includes(path.basename(target)),
          `${name}: the message names the file: ${r.error.message}`,
        );
        assert.match(r.error.message, expected.message, name);
        assert.deepEqual(
          await activityAttempts(client, id),
          (await activityAttempts(client, id)).map(() => 1),
          `${name}: no step was retried`,
        );
        assert.equal(registryState(p), before, `${name}: the registry is unchanged`);
      }
    });
  });

  it('a symbolic link inside the data roots that points outside is refused, at plan or when a glob expands to it; nothing trains on the outside file', async () => {
    const p = await makeProject({}, 300, 'churn-symlink');
    const outside = mkdtempSync(path.join(tmpdir(), 'retrain-outside-'));
    copyFileSync(path.join(p.dataDir, 'current.csv'), path.join(outside, 'secret.csv'));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (id: string) =>
        client.workflow.execute(retrainPipeline, {
          taskQueue,
          workflowId: `retrain/churn-symlink/${id}-${Date.now()}`,
          args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }] }],
        });
      // A linked file, then a path through a linked folder: refused when the run plans.
      symlinkSync(path.join(outside, 'secret.csv'), path.join(p.dataDir, 'linked.csv'));
      symlinkSync(outside, path.join(p.dataDir, 'linked-dir'));
      for (const current of ['data/linked.csv', 'data/linked-dir/secret.csv']) {
        p.writeConfig({ data: { current } });
        const r = await run('plan');
        assert.equal(r.outcome, 'failed', r.reason);
        assert.ok(r.outcome === 'failed');
        assert.equal(r.step, 'plan', r.reason);
        assert.equal(r.error.type, 'ConfigError');
        assert.match(r.error.message, new RegExp(`models\\.churn-symlink\\.data\\.current: path "${current}" resolves through a symbolic link to .*outside the data roots`));
      }
      // A glob whose folder is inside, but one of whose files links outside: refused at check.
      mkdirSync(path.join(p.dataDir, 'parts'));
      copyFileSync(path.join(p.dataDir, 'current.csv'), path.join(p.dataDir, 'parts', 'part-1.csv'));
      symlinkSync(path.join(outside, 'secret.csv'), path.join(p.dataDir, 'parts', 'part-2.csv'));
      p.writeConfig({ data: { current: 'data/parts/part-*.csv' } });
      const r = await run('glob');
      assert.equal(r.outcome, 'failed', r.reason);
      assert.ok(r.outcome === 'failed');
      assert.equal(r.step, 'check', r.reason);
      assert.equal(r.error.type, 'DataSourceError');
      assert.match(r.error.message, /part-2\.csv resolves through a symbolic link to .*secret\.csv, outside the data roots/);
      assert.ok(!existsSync(path.join(p.dir, '.retrain', 'registry', p.model, 'index.json')), 'nothing was registered');
    });
  });

  it('every bad config fails to load with the file, the field and the value', async () => {
    const p = await makeProject({}, 200, 'churn-badcfg');
    const base = loadConfig(p.configFile);
    assert.ok(base.models['churn-badcfg']);
    const raw = () =>
      JSON.parse(
        JSON.stringify({
          version: 1,
          dataRoots: ['.'],
          models: {
            m: {
              data: { current: 'data/current.csv', evaluation: 'data/eval.csv', target: 'churned' },
              train: { command: ['python', 'train.py'] },
              evaluate: { command: ['python', 'eval.py'] },
              promotion: { metric: 'auc' },
            },
          },
        }),
      ) as { models: { m: Record<string, Record<string, unknown>> } } & Record<string, unknown>;
    const cases: [string, (c: ReturnType<typeof raw>) => void, RegExp][] = [
      [
        'unknown key',
        (c) => (c.models.m.trigger = { quietPeriodd: '30s' }),
        /models\.m\.trigger: unknown key "quietPeriodd" \(did you mean "quietPeriod"\?\)/,
      ],
      [
        'wrong type',
        (c) => (c.models.m.promotion = { metric: 'auc', floor: 'high' }),
        /models\.m\.promotion\.floor: .*number.*\(got "high"\)/,
      ],
      [
        'bad cron',
        (c) => (c.models.m.schedule = { cron: '61 2 * * *' }),
        /models\.m\.schedule\.cron: invalid cron: minute: 61 is outside 0-59 \(got "61 2 \* \* \*"\)/,
      ],
      [
        'bad cron fields',
        (c) => (c.models.m.schedule = { cron: '0 2 * *' }),
        /invalid cron: expected 5 fields/,
      ],
      [
        'negative threshold',
        (c) => (c.models.m.trigger = { maxRelativeDrop: -0.1 }),
        /models\.m\.trigger\.maxRelativeDrop: .*>=0.*\(got -0.1\)/,
      ],
      [
        'missing command',
        (c) => (c.models.m.train = { params: {} }),
        /models\.m\.train: set exactly one of train\.command \(a training command\) or train\.dvc \(a DVC stage\), got neither/,
      ],
      [
        'empty command',
        (c) => (c.models.m.evaluate = { command: [] }),
        /models\.m\.evaluate\.command: .*\(got \[\]\)/,
      ],
      [
        'bad duration',
        (c) => (c.models.m.trigger = { cooldown: 'soon' }),
        /models\.m\.trigger\.cooldown: expected a duration.*\(got "soon"\)/,
      ],
      [
        'bad webhook env name',
        (c) => (c.models.m.notify = [{ urlEnv: 'https://hooks.slack.com/x' }] as never),
        /models\.m\.notify\.0\.urlEnv: the name of an environment variable/,
      ],
    ];
    for (const [what, mutate, expected] of cases) {
      const c = raw();
      mutate(c);
      const file = path.join(p.dir, `${what.replace(/ /g, '-')}.yaml`);
      writeFileSync(file, stringify(c));
      assert.throws(
        () => loadConfig(file),
        (err: Error) => {
          assert.equal(err.name, 'ConfigError', what);
          assert.ok(
            err.message.startsWith(`${file}: invalid config`),
            `${what}: names the file: ${err.message}`,
          );
          assert.match(err.message, expected, what);
          return true;
        },
      );
    }
    // A data path outside the data roots is refused when a run plans, naming the field.
    const outside = raw();
    outside.models.m.data = { current: '../../etc/passwd', evaluation: 'data/eval.csv', target: 'y' };
    const file = path.join(p.dir, 'outside.yaml');
    writeFileSync(file, stringify(outside));
    const { planModel } = await import('../../src/config/plan.js');
    assert.throws(
      () => planModel(loadConfig(file), 'm'),
      /models\.m\.data\.current: path "..\/..\/etc\/passwd" resolves outside the data roots/,
    );
  });
});
