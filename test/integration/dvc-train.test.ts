import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { generate } from '../../examples/churn/generate.js';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { defaultDeps } from '../../src/activities/deps.js';
import { dvcBinary } from '../../src/lineage/dvc.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { EVALUATE, makeProject, type TestProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { startMlflow } from '../helpers/mlflow.js';
import { loadConfig } from '../../src/config/load.js';
import { openRegistry } from '../../src/registry/open.js';
import type { TriggerRequest } from '../../src/workflows/types.js';

const DVC = dvcBinary();
const DVC_ENV = { ...process.env, DVC_NO_ANALYTICS: '1' };
const STAGE_TRAIN = path.join(PROJECT_ROOT, 'test/fixtures/commands/dvc-stage-train.mjs');

/**
 * The test project as a DVC user's repository: data `dvc add`ed, a dvc.yaml with prepare and train
 * stages and params.yaml, reproduced once and committed (dvc.lock included), a local directory
 * remote. The retrain state folder is git-ignored, so `git status --porcelain` must be empty.
 */
async function dvcPipelineRepo(p: TestProject) {
  const git = (...a: string[]) => execa('git', ['-C', p.dir, ...a]);
  const dvc = (...a: string[]) => execa(DVC, a, { cwd: p.dir, env: DVC_ENV });
  const remote = mkdtempSync(path.join(tmpdir(), 'dvc-remote-'));
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'test@example.com');
  await git('config', 'user.name', 'test');
  await dvc('init', '-q');
  await dvc('config', 'core.analytics', 'false');
  await dvc('remote', 'add', '-d', 'local', remote);
  writeFileSync(path.join(p.dir, '.gitignore'), '.retrain/\nretrain.config.yaml\n');
  writeFileSync(path.join(p.dir, 'params.yaml'), 'train:\n  epochs: 50\n');
  writeFileSync(path.join(p.dir, 'dvc.yaml'), stringify({
    stages: {
      prepare: { cmd: 'cp data/current.csv data/prepared.csv', deps: ['data/current.csv'], outs: ['data/prepared.csv'] },
      train: {
        cmd: `${process.execPath} ${STAGE_TRAIN} data/prepared.csv out`,
        deps: ['data/prepared.csv'],
        params: ['train.epochs'],
        outs: ['out/model'],
        metrics: [{ 'out/metrics.json': { cache: false } }],
      },
      broken: { cmd: 'echo stage broke >&2; exit 3', deps: ['data/prepared.csv'], outs: ['out/broken'], metrics: [{ 'out/broken.json': { cache: false } }] },
    },
  }));
  await dvc('add', '-q', 'data/current.csv');
  await dvc('repro', '-q', 'train');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'pipeline');
  await dvc('push', '-q');
  const head = async () => (await git('rev-parse', 'HEAD')).stdout.trim();
  const porcelain = async () => (await git('status', '--porcelain', '--untracked-files=all')).stdout;
  const worktrees = async () => (await git('worktree', 'list', '--porcelain')).stdout.split('\n').filter((l) => l.startsWith('worktree '));
  return { git, dvc, head, porcelain, worktrees, remote };
}

const retrain = (p: TestProject, ...args: string[]) =>
  execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env: { ...DVC_ENV, RETRAIN_CONFIG: p.configFile }, reject: false });

/** Where a DVC 3 local remote keeps an object: files/md5/<2 hex>/<rest>. */
const remoteObject = (remote: string, md5: string) => path.join(remote, 'files', 'md5', md5.slice(0, 2), md5.slice(2));

describe('train.dvc: dvc repro in an isolated worktree (real git, real DVC, real dev server)', () => {
  it('retrains through the stage, promotes with lineage naming commit and md5, pushes the model, and never touches the user tree; a params.yaml change retrains; a rejected or failed candidate leaves no trace', async () => {
    assert.ok(existsSync(DVC) || DVC === 'dvc', `dvc not installed: run npm run setup (${DVC})`);
    const p = await makeProject({}, 300, 'churn-dvc-train');
    const dvcModel = (extra: Record<string, unknown> = {}) => ({
      train: { command: undefined, dvc: { stage: 'train', push: true }, workdir: '.', params: { 'train.epochs': 60 } },
      evaluate: { command: EVALUATE, workdir: PROJECT_ROOT },
      ...extra,
    });
    p.writeConfig(dvcModel());
    const repo = await dvcPipelineRepo(p);
    const lockBefore = readFileSync(path.join(p.dir, 'dvc.lock'), 'utf8');
    const modelBefore = readFileSync(path.join(p.dir, 'out/model/model.json'), 'utf8');
    const c1 = await repo.head();
    const registry = new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));
    const untouched = async (when: string) => {
      assert.equal(await repo.porcelain(), '', `${when}: the user's work tree is as committed`);
      assert.equal(readFileSync(path.join(p.dir, 'dvc.lock'), 'utf8'), lockBefore, `${when}: the user's dvc.lock is unchanged`);
      assert.equal(readFileSync(path.join(p.dir, 'out/model/model.json'), 'utf8'), modelBefore, `${when}: the user's model out is unchanged`);
      assert.deepEqual(await repo.worktrees(), [`worktree ${p.dir}`], `${when}: the isolated worktree is removed and pruned`);
    };

    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (triggers: TriggerRequest[], force: boolean) =>
        client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/test-${Date.now()}`, args: [{ model: p.model, triggers, force }] });

      const r1 = await run([{ reason: 'manual', source: 'test' }], true);
      assert.equal(r1.outcome, 'promoted', r1.reason);
      assert.match(r1.reason, /dvc push [0-9a-f]{32}\.dir to local/);
      await untouched('after a promoted run');
      const [v1] = await registry.listVersions(p.model);
      const d1 = v1!.lineage?.dvc;
      assert.equal(d1?.stage, 'train');
      assert.equal(d1?.commit, c1);
      assert.equal(d1?.model.path, 'out/model');
      // The md5 is the one the run's own dvc.lock names, and train.params reached params.yaml the DVC way.
      const runLock = readFileSync(path.join(p.dir, '.retrain', 'runs', p.model, v1!.recordId.replace(/[^A-Za-z0-9._-]/g, '_'), 'train', 'dvc.lock'), 'utf8');
      assert.ok(runLock.includes(`md5: ${d1!.model.md5}`) && runLock.includes('train.epochs: 60'), runLock);
      assert.equal(v1!.lineage?.tags?.epochs, '60');
      assert.equal(v1!.lineage?.tags?.['feature_store.snapshot'], 'fs-2026-12-01');
      // The data lineage is the dvc add-ed file's, and the model reached the local directory remote.
      assert.equal(v1!.dvc?.file, path.join('data', 'current.csv.dvc'));
      assert.equal(d1?.push?.remote, 'local');
      assert.equal(d1?.push?.url, repo.remote);
      assert.ok(existsSync(remoteObject(repo.remote, d1!.model.md5)), `dvc push landed: ${remoteObject(repo.remote, d1!.model.md5)}`);

      // explain --json and the human explain show the lineage.json tags and the DVC training lineage.
      const record = (await listRunRecords(path.join(p.dir, '.retrain'), p.model)).find((r) => 'version' in r.result && r.result.version === 1);
      const json = await retrain(p, 'explain', record!.workflowId, '--json');
      assert.equal(json.exitCode, 0, json.stderr);
      const explained = JSON.parse(json.stdout) as { lineage?: { tags?: Record<string, string>; dvc?: { model: { md5: string } } } };
      assert.equal(explained.lineage?.tags?.trainer, 'dvc-stage-fixture');
      assert.equal(explained.lineage?.dvc?.model.md5, d1!.model.md5);
      const human = await retrain(p, 'explain', record!.workflowId);
      assert.ok(human.stdout.includes(`dvc train: stage train at commit ${c1.slice(0, 12)}, model out/model md5 ${d1!.model.md5}`), human.stdout);
      assert.ok(human.stdout.includes('lineage: trainer=dvc-stage-fixture, epochs=60, feature_store.snapshot=fs-2026-12-01'), human.stdout);
      const models = await retrain(p, 'models', p.model);
      assert.ok(models.stdout.includes(d1!.model.md5) && models.stdout.includes('trainer=dvc-stage-fixture'), models.stdout);

      // A params.yaml change, committed: not a skip, and the version names the new commit.
      const same = await run([{ reason: 'new_data', source: 'test' }], false);
      assert.equal(same.outcome, 'skipped', same.reason);
      writeFileSync(path.join(p.dir, 'params.yaml'), 'train:\n  epochs: 70\n  seed: 3\n');
      await repo.git('commit', '-q', '-am', 'params: seed');
      const c2 = await repo.head();
      const changed = await run([{ reason: 'new_data', source: 'test' }], false);
      assert.ok(changed.outcome === 'promoted' || changed.outcome === 'rejected', `${changed.outcome}: ${changed.reason}`);
      const v2 = (await registry.listVersions(p.model))[1]!;
      assert.equal(v2.lineage?.dvc?.commit, c2);
      assert.equal(await repo.porcelain(), '', 'after the params run');

      // A candidate rejected by policy, trained with an uncommitted change in the user's tree: it
      // trains the commit, says so, and leaves nothing behind.
      p.writeConfig(dvcModel({ promotion: { metric: 'auc', floor: 0.999 } }));
      writeFileSync(path.join(p.dir, 'params.yaml'), 'train:\n  epochs: 5\n');
      const lockNow = readFileSync(path.join(p.dir, 'dvc.lock'), 'utf8');
      const rejected = await run([{ reason: 'manual', source: 'test' }], true);
      assert.equal(rejected.outcome, 'rejected', rejected.reason);
      const v3 = (await registry.listVersions(p.model))[2]!;
      assert.deepEqual(v3.lineage?.dvc?.uncommitted, ['params.yaml']);
      assert.equal(v3.lineage?.dvc?.push, undefined, 'a rejected candidate is not pushed');
      assert.equal(readFileSync(path.join(p.dir, 'params.yaml'), 'utf8'), 'train:\n  epochs: 5\n', "the user's uncommitted change is theirs");
      await repo.git('checkout', '-q', 'params.yaml');
      assert.equal(readFileSync(path.join(p.dir, 'dvc.lock'), 'utf8'), lockNow);
      await untouched('after a rejected run');

      // A stage that fails: a typed failure naming the command and its stderr, and the worktree is gone.
      p.writeConfig(dvcModel({ train: { command: undefined, dvc: { stage: 'broken' }, workdir: '.' } }));
      const failed = await run([{ reason: 'manual', source: 'test' }], true);
      assert.equal(failed.outcome, 'failed', failed.reason);
      assert.ok(failed.outcome === 'failed' && failed.error.type === 'TrainingCommandError', JSON.stringify(failed));
      assert.ok(failed.outcome === 'failed' && failed.error.message.includes('stage broke'), failed.outcome === 'failed' ? failed.error.message : '');
      await untouched('after a failed stage');
    });
  });

  it('data.dvc.refresh: repro brings a stage-produced data path up to date before the check, in a worktree; check, validate and training read the new rows', async () => {
    const p = await makeProject({ data: { current: 'data/prepared.csv', dvc: { refresh: 'repro' } }, trigger: { minNewRows: 1 } }, 300, 'churn-dvc-refresh');
    const git = (...a: string[]) => execa('git', ['-C', p.dir, ...a]);
    const dvc = (...a: string[]) => execa(DVC, a, { cwd: p.dir, env: DVC_ENV });
    await git('init', '-q', '-b', 'main');
    await git('config', 'user.email', 'test@example.com');
    await git('config', 'user.name', 'test');
    await dvc('init', '-q');
    await dvc('remote', 'add', '-d', 'local', mkdtempSync(path.join(tmpdir(), 'dvc-remote-')));
    writeFileSync(path.join(p.dir, '.gitignore'), '.retrain/\nretrain.config.yaml\n');
    writeFileSync(path.join(p.dir, 'dvc.yaml'), stringify({ stages: { prepare: { cmd: 'cp data/current.csv data/prepared.csv', deps: ['data/current.csv'], outs: ['data/prepared.csv'] } } }));
    await dvc('add', '-q', 'data/current.csv');
    await dvc('repro', '-q', 'prepare');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'pipeline');
    const registry = new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (triggers: TriggerRequest[], force: boolean) =>
        client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/test-${Date.now()}`, args: [{ model: p.model, triggers, force }] });
      const r1 = await run([{ reason: 'manual', source: 'test' }], true);
      assert.equal(r1.outcome, 'promoted', r1.reason);
      assert.equal(r1.dataFingerprint?.rows, 300);

      // A new raw data version, committed; nobody ran the pipeline, so the user's prepared.csv and dvc.lock are stale.
      await generate({ rows: 500, seed: 7, shift: 0, out: path.join(p.dataDir, 'current.csv') });
      await dvc('add', '-q', 'data/current.csv');
      await git('commit', '-q', '-am', 'raw data v2');
      const staleLock = readFileSync(path.join(p.dir, 'dvc.lock'), 'utf8');
      const stalePrepared = readFileSync(path.join(p.dataDir, 'prepared.csv'), 'utf8');
      const r2 = await run([{ reason: 'new_data', source: 'test' }], false);
      assert.ok(r2.outcome === 'promoted' || r2.outcome === 'rejected', `${r2.outcome}: ${r2.reason}`);
      assert.equal(r2.dataFingerprint?.rows, 500, 'the check saw the reproduced data, not the stale file');
      const v2 = (await registry.listVersions(p.model))[1]!;
      assert.equal(v2.dataFingerprint.rows, 500, 'validation and training used the reproduced data');
      assert.equal(readFileSync(path.join(p.dataDir, 'prepared.csv'), 'utf8'), stalePrepared, "the user's stage output is untouched");
      assert.equal(readFileSync(path.join(p.dir, 'dvc.lock'), 'utf8'), staleLock, "the user's dvc.lock is untouched");
    });
    assert.equal((await git('status', '--porcelain', '--untracked-files=all')).stdout, '');
    assert.deepEqual((await git('worktree', 'list', '--porcelain')).stdout.split('\n').filter((l) => l.startsWith('worktree ')), [`worktree ${p.dir}`]);
  });

  it('data.dvc.refresh: pull checks out what the committed dvc.lock names, from the remote, instead of a stale workspace file', async () => {
    const p = await makeProject({ data: { current: 'data/prepared.csv', dvc: { refresh: 'pull' } } }, 300, 'churn-dvc-pull');
    const git = (...a: string[]) => execa('git', ['-C', p.dir, ...a]);
    const dvc = (...a: string[]) => execa(DVC, a, { cwd: p.dir, env: DVC_ENV });
    await git('init', '-q', '-b', 'main');
    await git('config', 'user.email', 'test@example.com');
    await git('config', 'user.name', 'test');
    await dvc('init', '-q');
    await dvc('remote', 'add', '-d', 'local', mkdtempSync(path.join(tmpdir(), 'dvc-remote-')));
    writeFileSync(path.join(p.dir, '.gitignore'), '.retrain/\nretrain.config.yaml\n');
    writeFileSync(path.join(p.dir, 'dvc.yaml'), stringify({ stages: { prepare: { cmd: 'cp data/current.csv data/prepared.csv', deps: ['data/current.csv'], outs: ['data/prepared.csv'] } } }));
    await dvc('add', '-q', 'data/current.csv');
    await dvc('repro', '-q', 'prepare');
    const stale = readFileSync(path.join(p.dataDir, 'prepared.csv'));
    // The pipeline ran elsewhere (CI) on new data, pushed and committed; this workspace still has the old out.
    await generate({ rows: 500, seed: 7, shift: 0, out: path.join(p.dataDir, 'current.csv') });
    await dvc('add', '-q', 'data/current.csv');
    await dvc('repro', '-q', 'prepare');
    await dvc('push', '-q');
    await git('add', '-A');
    await git('commit', '-q', '-m', 'pipeline, data v2');
    await execa('rm', ['-rf', path.join(p.dir, '.dvc', 'cache')]);
    await execa('chmod', ['u+w', path.join(p.dataDir, 'prepared.csv')]);
    writeFileSync(path.join(p.dataDir, 'prepared.csv'), stale);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const r = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/test-${Date.now()}`, args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }] });
      assert.equal(r.outcome, 'promoted', r.reason);
      assert.equal(r.dataFingerprint?.rows, 500, 'the check read the pulled out, not the stale workspace file');
    });
    assert.deepEqual(readFileSync(path.join(p.dataDir, 'prepared.csv')), stale, "the user's workspace file is untouched");
    assert.equal((await git('status', '--porcelain', '--untracked-files=all')).stdout, '');
  });

  it('the MLflow backend records the DVC training lineage and its push in retrain.dvc_train, and reads them back', async () => {
    const mlflow = await startMlflow();
    try {
      const p = await makeProject({}, 300, 'churn-dvc-train-mlflow');
      p.writeConfig({ train: { command: undefined, dvc: { stage: 'train', push: true }, workdir: '.', params: {} } });
      writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\n`);
      const repo = await dvcPipelineRepo(p);
      await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
        const r = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/test-${Date.now()}`, args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }] });
        assert.equal(r.outcome, 'promoted', r.reason);
      });
      const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/model-versions/get?${new URLSearchParams({ name: p.model, version: '1' })}`);
      const { model_version: mv } = (await res.json()) as { model_version: { tags: { key: string; value: string }[] } };
      const tags = Object.fromEntries(mv.tags.map((t) => [t.key, t.value]));
      const dvcTrain = JSON.parse(tags['retrain.dvc_train'] ?? '{}') as { commit?: string; model?: { md5: string }; push?: { remote: string; md5: string } };
      assert.equal(dvcTrain.commit, await repo.head());
      assert.equal(dvcTrain.push?.remote, 'local');
      assert.equal(dvcTrain.push?.md5, dvcTrain.model?.md5);
      assert.equal(tags['lineage.trainer'], 'dvc-stage-fixture');
      assert.ok(existsSync(remoteObject(repo.remote, dvcTrain.model!.md5)));
      const v = await openRegistry(loadConfig(p.configFile)).getVersion(p.model, 1);
      assert.equal(v?.lineage?.dvc?.push?.remote, 'local');
      assert.equal(v?.lineage?.tags?.trainer, 'dvc-stage-fixture');
      assert.equal(await repo.porcelain(), '');
    } finally {
      await mlflow.stop();
    }
  });
});
