import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorkerChaos } from '../chaos/worker-kills.js';
import { testTemporal } from '../helpers/temporal.js';
import { bundleFileForSpawnedWorkers } from '../helpers/bundle-file.js';

// Small in CI; `npm run chaos -- --models 20` runs the same check at scale.
describe('worker kills (SIGKILL at random moments, restarted)', () => {
  it('every run ends as it would have without kills: one version per run, one promotion, no orphaned training', async (t) => {
    const temporal = await testTemporal();
    const report = await runWorkerChaos({ client: temporal.client, address: temporal.target.address, bundleFile: await bundleFileForSpawnedWorkers(), models: 3, killEveryMs: [1500, 4000], maxKills: 5, seed: 7 });
    t.diagnostic(`${report.kills.length} kills (${report.killsDuringTraining} mid-training, ${report.killsDuringPromotion} mid-register/promote) in ${report.seconds.toFixed(0)}s; train starts/attempts: ${report.runs.map((r) => `${r.trainStarts}/${r.trainAttempts}`).join(' ')}`);
    assert.ok(report.kills.length >= 2, `the worker was killed ${report.kills.length} time(s)`);
    for (const r of report.runs) {
      assert.equal(r.outcome, 'promoted', `${r.workflowId}: ${r.reason}`);
      assert.ok(r.trainStarts >= 1 && r.trainStarts <= r.trainAttempts, `${r.workflowId}: training started ${r.trainStarts}× for ${r.trainAttempts} attempt(s)`);
    }
    for (const [model, n] of Object.entries(report.versionsPerModel)) assert.equal(n, 1, `${model}: exactly one registry version`);
    for (const [model, n] of Object.entries(report.aliasMovesPerModel)) assert.equal(n, 1, `${model}: promoted exactly once`);
    assert.deepEqual(report.orphans, [], 'no training process outlived its run');
  });
});
