import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { installRuntime } from '../../src/temporal/runtime.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';
import { HISTORIES_DIR } from '../helpers/record-history.js';

/**
 * Replays histories recorded from real runs against today's workflow code: a change that would
 * break running workflows (a non-determinism) fails here. No server needed.
 * Re-record after an intentional, patched() change: RETRAIN_RECORD_HISTORIES=1 npm test -- test/integration
 */
const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

// Every workflow type and the outcomes that take different code paths must stay covered.
const REQUIRED = ['pipeline-promoted', 'pipeline-rejected', 'pipeline-skipped', 'pipeline-failed-validate', 'pipeline-approved', 'pipeline-failed-deploy', 'pipeline-rejected-cas', 'pipeline-rolled_back', 'move-production-rollback', 'move-production-rollback-skips-bad', 'pipeline-data-snapshot', 'pipeline-rolled_back-skips-bad', 'controller-burst', 'controller-followup', 'controller-policy', 'controller-sched', 'controller-carry-run', 'controller-adopted-run', 'pipeline-reports-to-controller', 'scheduled-trigger', 'pipeline-skipped-lazy-check', 'controller-budget', 'pipeline-skipped-budget', 'pipeline-forced-over-budget', 'pipeline-fleet-queued', 'fleet-semaphore', 'backtest', 'backtest-train', 'controller-quick-skip', 'scheduled-trigger-skip', 'pipeline-forced-beside-training', 'pipeline-forced-check-failed', 'pipeline-forced-validation-failed'];

describe('replay of recorded histories', async () => {
  installRuntime('ERROR');
  const bundleFile = process.env.RETRAIN_TEST_BUNDLE;
  const workflowBundle = bundleFile && existsSync(bundleFile)
    ? { code: readFileSync(bundleFile, 'utf8') }
    : { code: (await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined as never })).code };

  it('covers every workflow type and outcome', () => {
    const names = files.map((f) => f.replace(/\.json$/, ''));
    for (const r of REQUIRED) assert.ok(names.includes(r), `missing recorded history ${r}.json`);
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const { workflowId, ...history } = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { workflowId: string };
      await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
    });
  }
});
