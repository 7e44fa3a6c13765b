import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultDeps } from '../../src/activities/deps.js';
import { DataEngine } from '../../src/data/engine.js';
import { LocalRegistry } from '../../src/registry/local.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { withWorker } from '../helpers/temporal.js';

describe('lineage never lies: the version records the bytes the trainer read (real dev server)', () => {
  it('data appended at the configured path while training: fingerprint, rows and the Parquet copy are what was trained on', async () => {
    const p = await makeProject({}, 300, 'churn-lineage');
    const source = path.join(p.dataDir, 'current.csv');
    const sideFile = path.join(p.dir, 'trained-on.json');
    p.writeConfig({ train: { command: [...fixtureCommand('mutating-train.mjs'), source, sideFile], workdir: PROJECT_ROOT, params: { epochs: 50 } } });
    const before = createHash('sha256').update(readFileSync(source)).digest('hex');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const workflowId = `retrain/${p.model}/test-${Date.now()}`;
      const r = await client.workflow.execute(retrainPipeline, {
        taskQueue,
        workflowId,
        args: [{ model: p.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }],
      });
      await recordHistory(client, workflowId, 'pipeline-data-snapshot');
      assert.ok(r.outcome === 'promoted' || r.outcome === 'rejected', r.reason);
      const trained = JSON.parse(readFileSync(sideFile, 'utf8')) as { path: string; sha256: string; rows: number };
      // The file at the configured path did change under the run …
      assert.notEqual(createHash('sha256').update(readFileSync(source)).digest('hex'), before);
      assert.equal(trained.sha256, before, 'the trainer read the data as it was when the retrain was decided');
      assert.notEqual(trained.path, source, 'the trainer read a snapshot, not the mutable source');

      const registry = new LocalRegistry(path.join(p.dir, '.retrain', 'registry'));
      const version = (await registry.listVersions(p.model)).at(-1)!;
      assert.equal(version.dataFingerprint.sha256, trained.sha256);
      assert.equal(version.dataFingerprint.rows, trained.rows);
      assert.equal(r.dataFingerprint?.sha256, trained.sha256, 'the run result names the same data');

      // The "exact training data" Parquet copy holds the rows the trainer read, under that hash.
      const parquet = path.join(p.dir, '.retrain', 'registry', p.model, 'data', `${trained.sha256}.parquet`);
      const engine = await DataEngine.open();
      const [count] = await engine.rows('SELECT count(*)::BIGINT AS n FROM read_parquet($1)', [parquet]);
      assert.equal(Number(count!.n), trained.rows);
      // The raw snapshot is content-addressed: its folder is the sha256 of its bytes, and it is read-only.
      const snapDir = path.join(p.dir, '.retrain', 'snapshots', p.model, trained.sha256);
      assert.deepEqual(readdirSync(snapDir), ['current.csv']);
      assert.equal(createHash('sha256').update(readFileSync(path.join(snapDir, 'current.csv'))).digest('hex'), trained.sha256);
      assert.ok(!readdirSync(path.dirname(snapDir)).some((f) => f.includes('tmp')), 'no temp folder is left behind');
    });
  });
});
