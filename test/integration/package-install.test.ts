import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../src/install-paths.js';
import { TOOLS_DIR } from '../../src/temporal/cli-binary.js';
import { until } from '../helpers/wait.js';

/**
 * The README's "In your own project" quick start, command for command, from the packed tarball in
 * an empty folder: nothing but the tarball comes from this repository.
 */
describe('the npm package, installed from its tarball in a new folder', () => {
  it('npm pack → npm install ./temporal-retrain-<v>.tgz → npx retrain init → npx retrain dev → npx retrain run churn promotes v1', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'retrain-pkg-'));
    const packed = await execa('npm', ['pack', '--pack-destination', work, '--json'], { cwd: PACKAGE_ROOT });
    const tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    const listed = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    assert.ok(listed.includes('dist/workflow-bundle.js'), 'the prebuilt workflow bundle ships');
    assert.ok(listed.includes('dist/src/client/index.d.ts'), 'type declarations ship');
    assert.ok(listed.includes('dist/src/cluster/dynamicconfig.yaml'), 'the servers\' dynamic config ships (the dev server and `retrain cluster up` read it)');
    assert.ok(!listed.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.endsWith('.ts') && !f.endsWith('.d.ts')), `only what runs ships: ${listed.filter((f) => f.startsWith('src/') || f.startsWith('test/')).join(', ')}`);

    const project = path.join(work, 'my-models');
    mkdirSync(project);
    // A user's shell: no RETRAIN_* or TEMPORAL_* from this test run, nothing of this repo on PATH.
    const env: Record<string, string> = { PATH: process.env.PATH!, HOME: process.env.HOME!, ...(process.env.XDG_CACHE_HOME ? { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME } : {}) };
    const sh = (cmd: string, ...args: string[]) => execa(cmd, args, { cwd: project, env, extendEnv: false, reject: false });
    const ok = async (cmd: string, ...args: string[]) => {
      const r = await sh(cmd, ...args);
      assert.equal(r.exitCode, 0, `${cmd} ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    await ok('npm', 'init', '-y');
    await ok('npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', tarball);
    assert.ok(!readdirSync(path.join(project, 'node_modules')).includes('tsx'), 'no tsx at run time');
    const init = await ok('npx', 'retrain', 'init');
    assert.match(init.stdout, /npx retrain run churn/);
    const config = readFileSync(path.join(project, 'retrain.config.yaml'), 'utf8');
    assert.ok(!config.includes(work) && !config.includes(PACKAGE_ROOT), 'the scaffold holds no absolute path');
    assert.deepEqual((parse(config) as { models: { churn: { train: { command: string[] } } } }).models.churn.train.command, ['node', 'model/train.mjs']);
    await ok('npx', 'retrain', 'config', 'validate');

    // Its own process group, so Ctrl-C reaches retrain (and its dev server) through npx.
    const dev = execa('npx', ['retrain', 'dev'], { cwd: project, env, extendEnv: false, reject: false, all: true, detached: true });
    const ownRetrain = path.join(project, 'node_modules', '.bin', 'retrain');
    let devLog = '';
    dev.all!.on('data', (d: Buffer) => (devLog += d.toString()));
    try {
      await until('retrain dev to be ready', async () => devLog.includes('ready'), 180_000).catch((err: Error) => {
        throw new Error(`${err.message}:\n${devLog}`);
      });
      assert.doesNotMatch(devLog, /webpack|bundling/i, 'the installed worker loads the prebuilt bundle');
      const run = await ok('npx', 'retrain', 'run', 'churn', '--json');
      const result = JSON.parse(run.stdout) as { outcome: string; version: number; reason: string };
      assert.equal(result.outcome, 'promoted', result.reason);
      assert.equal(result.version, 1);
      const human = await ok('npx', 'retrain', 'run', 'churn');
      assert.match(human.stdout, /SKIPPED/, 'unchanged data and params: the second run skips');

      // Their own data and their own scikit-learn trainer, with rules inferred from the data.
      const own = path.join(work, 'loans');
      mkdirSync(path.join(own, 'data'), { recursive: true });
      const lines = ['loan_id,amount,grade,defaulted'];
      for (let i = 1; i <= 400; i++) {
        const amount = 1000 + ((i * 7919) % 40000);
        // Large loans default, with every seventh label flipped: learnable, not trivial.
        lines.push(`${i},${amount},${'ABCDE'[i % 5]},${(amount > 26000 ? 1 : 0) ^ (i % 7 === 0 ? 1 : 0)}`);
      }
      writeFileSync(path.join(own, 'data/loans.csv'), `${lines.join('\n')}\n`);
      const inferred = await execa(ownRetrain, ['init', '--python', '--data', 'data/loans.csv', '--target', 'defaulted'], { cwd: own, env, extendEnv: false, reject: false });
      assert.equal(inferred.exitCode, 0, inferred.stderr);
      const rules = (parse(readFileSync(path.join(own, 'retrain.config.yaml'), 'utf8')) as { models: { loans: { train: { command: string[] }; validation: { uniqueKey: string[]; columns: Record<string, { type?: string; allowed?: unknown[]; min?: number }> } } } }).models.loans;
      assert.deepEqual(rules.train.command, ['python3', 'model/train.py']);
      assert.deepEqual(rules.validation.uniqueKey, ['loan_id']);
      assert.deepEqual(rules.validation.columns.grade, { type: 'string', maxNullRatio: 0.05, allowed: ['A', 'B', 'C', 'D', 'E'] });
      assert.deepEqual(rules.validation.columns.defaulted!.allowed, [0, 1]);
      assert.equal(rules.validation.columns.amount!.type, 'integer');
      const python = path.join(TOOLS_DIR, 'py', 'bin');
      const trained = await execa(ownRetrain, ['data', 'validate', 'data/loans.csv', '--model', 'loans', '--json'], { cwd: own, env: { ...env, PATH: `${python}:${env.PATH}` }, extendEnv: false, reject: false });
      assert.equal(trained.exitCode, 0, trained.stderr);
      assert.equal((JSON.parse(trained.stdout) as { passed: boolean }).passed, true, 'the inferred rules accept the data they came from');
      // Their trainer runs through a worker of their project, on the Temporal server `retrain dev` started.
      const address = /dev server on (\S+),/.exec(devLog)?.[1];
      assert.ok(address, devLog);
      const ownEnv = { ...env, PATH: `${python}:${env.PATH}`, TEMPORAL_ADDRESS: address, RETRAIN_TASK_QUEUE: 'loans' };
      const worker = execa(ownRetrain, ['worker'], { cwd: own, env: ownEnv, extendEnv: false, reject: false, all: true });
      try {
        const loans = await execa(ownRetrain, ['run', 'loans', '--json'], { cwd: own, env: ownEnv, extendEnv: false, reject: false });
        assert.equal(loans.exitCode, 0, loans.stderr);
        const r = JSON.parse(loans.stdout) as { outcome: string; reason: string; metrics: { candidate: { auc: number } } };
        assert.equal(r.outcome, 'promoted', r.reason);
        assert.ok(r.metrics.candidate.auc > 0.5);
      } finally {
        worker.kill('SIGINT');
        await worker;
      }
    } finally {
      process.kill(-dev.pid!, 'SIGINT');
      await dev;
    }
  });
});
