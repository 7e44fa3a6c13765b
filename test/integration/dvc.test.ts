import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { generate } from '../../examples/churn/generate.js';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { defaultDeps } from '../../src/activities/deps.js';
import { dvcBinary } from '../../src/lineage/dvc.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { makeProject, type TestProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';
import { startMlflow } from '../helpers/mlflow.js';
import { loadConfig } from '../../src/config/load.js';
import { openRegistry } from '../../src/registry/open.js';
import type { TriggerRequest } from '../../src/workflows/types.js';

const DVC = dvcBinary();
const DVC_ENV = { ...process.env, DVC_NO_ANALYTICS: '1' };
const md5 = (file: string) => createHash('md5').update(readFileSync(file)).digest('hex');

/** The test project as a real git + DVC repository with a local directory remote, data `dvc add`ed and pushed. */
async function dvcRepo(p: TestProject) {
  const git = (...a: string[]) => execa('git', ['-C', p.dir, ...a]);
  const dvc = (...a: string[]) => execa(DVC, a, { cwd: p.dir, env: DVC_ENV });
  await git('init', '-q', '-b', 'main');
  await git('config', 'user.email', 'test@example.com');
  await git('config', 'user.name', 'test');
  await dvc('init', '-q');
  await dvc('config', 'core.analytics', 'false');
  await dvc('remote', 'add', '-d', 'local', mkdtempSync(path.join(tmpdir(), 'dvc-remote-')));
  await dvc('add', '-q', 'data/current.csv');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'data v1');
  await dvc('push', '-q');
  const head = async () => (await git('rev-parse', 'HEAD')).stdout.trim();
  // Everything but the retrain state folder (untracked by design) must be as committed.
  const dirt = async () => (await git('status', '--porcelain')).stdout.split('\n').filter((l) => l && l !== '?? .retrain/');
  return { git, dvc, head, dirt };
}

const retrain = (p: TestProject, ...args: string[]) =>
  execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env: { ...DVC_ENV, RETRAIN_CONFIG: p.configFile }, reject: false });

describe('DVC-tracked data: lineage, reproduce (real git, real DVC, real dev server)', () => {
  it('a new `dvc add` data version plus a commit retrains with lineage naming that commit and md5; reproduce restores each version', async () => {
    assert.ok(existsSync(DVC) || DVC === 'dvc', `dvc not installed: run npm run setup (${DVC})`);
    const p = await makeProject({ trigger: { minNewRows: 1 } }, 300, 'churn-dvc');
    const repo = await dvcRepo(p);
    const current = path.join(p.dataDir, 'current.csv');
    const c1 = await repo.head();
    const md5v1 = md5(current);
    const registry = new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));

    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (triggers: TriggerRequest[], force: boolean) =>
        client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/test-${Date.now()}`, args: [{ model: p.model, triggers, force }] });
      const r1 = await run([{ reason: 'manual', source: 'test' }], true);
      assert.equal(r1.outcome, 'promoted', r1.reason);

      // A new data version, the DVC way: rewrite, `dvc add`, commit, push.
      await generate({ rows: 500, seed: 1, shift: 0, out: current });
      await repo.dvc('add', '-q', 'data/current.csv');
      await repo.git('commit', '-q', '-am', 'data v2');
      await repo.dvc('push', '-q');
      const c2 = await repo.head();
      const r2 = await run([{ reason: 'new_data', source: 'test' }], false);
      assert.ok(r2.outcome === 'promoted' || r2.outcome === 'rejected', `new data retrains: ${r2.outcome} ${r2.reason}`);

      const [v1, v2] = await registry.listVersions(p.model);
      assert.deepEqual(
        { commit: v1!.dvc?.commit, md5: v1!.dvc?.md5, file: v1!.dvc?.file, path: v1!.dvc?.path, matches: v1!.dvc?.matches, committed: v1!.dvc?.entryCommitted },
        { commit: c1, md5: md5v1, file: path.join('data', 'current.csv.dvc'), path: path.join('data', 'current.csv'), matches: true, committed: true },
      );
      assert.equal(v2!.dvc?.commit, c2);
      assert.equal(v2!.dvc?.md5, md5(current));
      assert.notEqual(v2!.dvc?.md5, md5v1);
      assert.equal(v2!.dvc?.matches, true);

      // The audit record carries the same lineage; explain and models show it.
      const record = (await listRunRecords(path.join(p.dir, '.retrain'), p.model)).find((r) => 'version' in r.result && r.result.version === v2!.version && r.triggers.some((t) => t.reason === 'new_data'));
      assert.equal(record?.dvc?.md5, v2!.dvc?.md5);
      assert.equal(record?.dvc?.commit, c2);
      const explain = await retrain(p, 'explain', record!.workflowId);
      assert.equal(explain.exitCode, 0, explain.stderr);
      assert.ok(explain.stdout.includes(`dvc: data/current.csv md5 ${v2!.dvc!.md5} in data/current.csv.dvc at commit ${c2.slice(0, 12)}`), explain.stdout);
      const models = await retrain(p, 'models', p.model);
      assert.ok(models.stdout.includes(md5v1) && models.stdout.includes(v2!.dvc!.md5), models.stdout);
    });
    assert.deepEqual(await repo.dirt(), [], "the user's work tree is as committed after the runs");

    // The steps printed name the commit and the entry.
    const steps = await retrain(p, 'reproduce', p.model, '1');
    assert.equal(steps.exitCode, 0, steps.stderr);
    assert.ok(steps.stdout.includes(`checkout ${c1}`) && steps.stdout.includes('dvc checkout data/current.csv.dvc'), steps.stdout);

    const [v1, v2] = await registry.listVersions(p.model);
    const snapshots = path.join(p.dir, '.retrain', 'snapshots', p.model);
    // From the project's own snapshot …
    const into1 = path.join(mkdtempSync(path.join(tmpdir(), 'reproduce-')), 'v1');
    const fromSnap = await retrain(p, 'reproduce', p.model, '1', '--into', into1, '--json');
    assert.equal(fromSnap.exitCode, 0, fromSnap.stderr);
    assert.equal(JSON.parse(fromSnap.stdout).restored.from, 'snapshot');
    assert.equal(createHash('sha256').update(readFileSync(path.join(into1, 'current.csv'))).digest('hex'), v1!.dataFingerprint.sha256);
    // … and, with the snapshot gone, from DVC at the recorded commit (`dvc get`, through the remote).
    renameSync(path.join(snapshots, v1!.dataFingerprint.sha256), path.join(p.dir, 'moved-away'));
    const into2 = mkdtempSync(path.join(tmpdir(), 'reproduce-'));
    const fromDvc = await retrain(p, 'reproduce', p.model, '1', '--into', into2, '--json');
    assert.equal(fromDvc.exitCode, 0, fromDvc.stderr);
    const restored = JSON.parse(fromDvc.stdout).restored;
    assert.match(restored.from, new RegExp(`^dvc get data/current.csv --rev ${c1}`));
    assert.equal(restored.sha256, v1!.dataFingerprint.sha256);
    assert.equal(md5(path.join(into2, 'current.csv')), md5v1);

    // A restore whose bytes are not what trained fails, naming both hashes.
    const snap2 = path.join(snapshots, v2!.dataFingerprint.sha256);
    renameSync(snap2, path.join(p.dir, 'moved-away-2'));
    mkdirSync(snap2);
    writeFileSync(path.join(snap2, 'current.csv'), 'id,churned\n1,0\n');
    const into3 = mkdtempSync(path.join(tmpdir(), 'reproduce-'));
    const bad = await retrain(p, 'reproduce', p.model, '2', '--into', into3);
    assert.notEqual(bad.exitCode, 0);
    assert.match(bad.stderr, new RegExp(`has sha256 [0-9a-f]{64}, but ${p.model} v2 trained on ${v2!.dataFingerprint.sha256}`));
  });

  it('a params.yaml change with the data unchanged retrains (not a skip), recorded as the reason', async () => {
    const p = await makeProject({}, 300, 'churn-dvc-params');
    writeFileSync(path.join(p.dir, 'params.yaml'), 'train:\n  epochs: 50\n');
    const repo = await dvcRepo(p);
    const registry = new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const run = (triggers: TriggerRequest[], force: boolean) =>
        client.workflow.execute(retrainPipeline, { taskQueue, workflowId: `retrain/${p.model}/test-${Date.now()}`, args: [{ model: p.model, triggers, force }] });
      const first = await run([{ reason: 'manual', source: 'test' }], true);
      assert.equal(first.outcome, 'promoted', first.reason);
      const same = await run([{ reason: 'new_data', source: 'test' }], false);
      assert.equal(same.outcome, 'skipped', same.reason);
      assert.match(same.reason, /data and params unchanged/);

      writeFileSync(path.join(p.dir, 'params.yaml'), '# more epochs\ntrain:\n  epochs: 80\n');
      await repo.git('commit', '-q', '-am', 'params: 80 epochs');
      const changed = await run([{ reason: 'new_data', source: 'test' }], false);
      assert.ok(changed.outcome === 'promoted' || changed.outcome === 'rejected', `${changed.outcome}: ${changed.reason}`);
      const record = (await listRunRecords(path.join(p.dir, '.retrain'), p.model)).find((r) => 'version' in r.result && r.result.version === 2);
      assert.equal(record?.decision?.reason, 'inputs changed: params.yaml');
      const [v1, v2] = await registry.listVersions(p.model);
      assert.ok(v1!.inputsSha256 && v2!.inputsSha256 && v1!.inputsSha256 !== v2!.inputsSha256);
      assert.deepEqual(Object.keys(v2!.inputs!.files), ['params.yaml']);
      // Inputs are compared with production's, as params are: once the new inputs are in production
      // the next check skips; while production still has the old ones, a check retrains again.
      const again = await run([{ reason: 'new_data', source: 'test' }], false);
      if (changed.outcome === 'promoted') assert.equal(again.outcome, 'skipped', again.reason);
      else {
        const records = await listRunRecords(path.join(p.dir, '.retrain'), p.model);
        assert.ok(records.filter((r) => r.decision?.reason === 'inputs changed: params.yaml').length === 2, again.reason);
      }
    });
    assert.deepEqual(await repo.dirt(), [], "the user's work tree is as committed after the runs");
  });

  it('the MLflow registry backend carries the DVC lineage as tags and reads it back', async () => {
    const mlflow = await startMlflow();
    try {
      const p = await makeProject({}, 300, 'churn-dvc-mlflow');
      writeFileSync(path.join(p.dir, 'params.yaml'), 'train:\n  epochs: 50\n');
      writeFileSync(p.configFile, `${readFileSync(p.configFile, 'utf8')}registry:\n  backend: mlflow\n  mlflow:\n    trackingUri: ${mlflow.uri}\n`);
      const repo = await dvcRepo(p);
      const commit = await repo.head();
      await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
        const r = await client.workflow.execute(retrainPipeline, {
          taskQueue,
          workflowId: `retrain/${p.model}/test-${Date.now()}`,
          args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }],
        });
        assert.equal(r.outcome, 'promoted', r.reason);
      });
      const res = await fetch(`${mlflow.uri}/api/2.0/mlflow/model-versions/get?${new URLSearchParams({ name: p.model, version: '1' })}`);
      const { model_version: mv } = (await res.json()) as { model_version: { tags: { key: string; value: string }[] } };
      const tags = Object.fromEntries(mv.tags.map((t) => [t.key, t.value]));
      assert.equal(tags['retrain.dvc_md5'], md5(path.join(p.dataDir, 'current.csv')));
      assert.equal(tags['retrain.dvc_file'], path.join('data', 'current.csv.dvc'));
      assert.equal(tags['retrain.git_commit'], commit);
      assert.match(tags['retrain.inputs_sha256'] ?? '', /^[0-9a-f]{64}$/);
      const v = await openRegistry(loadConfig(p.configFile)).getVersion(p.model, 1);
      assert.equal(v?.dvc?.commit, commit);
      assert.deepEqual(Object.keys(v?.inputs?.files ?? {}), ['params.yaml']);
    } finally {
      await mlflow.stop();
    }
  });
});
