import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

const retrain = (...args: string[]) =>
  execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { reject: false, timeout: 180_000, env: { TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '' } });

/** `retrain cluster up|down` as a user runs it, on a second cluster of its own (the binaries are cached). */
describe('retrain cluster up | down', () => {
  it('up prints the env to export and registers the search attributes; up again reuses it; down stops everything; down --purge deletes the data', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'retrain-cluster-cli-'));
    const stateDir = path.join(parent, 'cluster');
    const up = await retrain('cluster', 'up', '--state-dir', stateDir, '--no-ui', '--port', '0', '--namespace', 'team-a');
    try {
      assert.equal(up.exitCode, 0, up.stderr);
      const env = Object.fromEntries(up.stdout.split('\n').map((l) => /^export (\w+)=(.*)$/.exec(l)!.slice(1, 3) as [string, string]));
      assert.deepEqual(Object.keys(env), ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']);
      assert.equal(env.TEMPORAL_NAMESPACE, 'team-a');
      assert.match(up.stderr, /search attributes created on team-a: RetrainModel, /);

      const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
      try {
        const info = await connection.workflowService.getClusterInfo({});
        assert.equal(info.persistenceStore, 'postgres12');
        const sa = await connection.operatorService.listSearchAttributes({ namespace: 'team-a' });
        assert.ok(sa.customAttributes?.RetrainModel !== undefined, 'RetrainModel registered on team-a');
      } finally {
        await connection.close();
      }

      const again = await retrain('cluster', 'up', '--state-dir', stateDir, '--no-ui', '--namespace', 'team-a', '--json');
      assert.equal(again.exitCode, 0, again.stderr);
      const report = JSON.parse(again.stdout) as { reused: boolean; TEMPORAL_ADDRESS: string };
      assert.equal(report.reused, true);
      assert.equal(report.TEMPORAL_ADDRESS, env.TEMPORAL_ADDRESS);

      const down = await retrain('cluster', 'down', '--state-dir', stateDir);
      assert.equal(down.exitCode, 0, down.stderr);
      assert.match(down.stdout, /^cluster stopped/);
      const probe = await Connection.connect({ address: env.TEMPORAL_ADDRESS!, connectTimeout: 1000 }).then(
        async (c) => {
          await c.close();
          return 'answered';
        },
        () => 'refused',
      );
      assert.equal(probe, 'refused', 'the server is gone after down');
    } finally {
      const purge = await retrain('cluster', 'down', '--state-dir', stateDir, '--purge');
      assert.equal(purge.exitCode, 0, purge.stderr);
    }
    assert.equal(existsSync(stateDir), false, 'down --purge removes the state folder');
    rmSync(parent, { recursive: true, force: true });
  });
});
