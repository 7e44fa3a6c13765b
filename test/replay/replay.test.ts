import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { installRuntime } from '../../src/temporal/runtime.js';
import { WORKFLOWS_PATH } from '../../src/worker.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { HISTORIES_DIR } from '../helpers/record-history.js';

/**
 * Replays histories recorded from real runs against today's workflow code: a change that would
 * break running workflows (a non-determinism) fails here. No server needed.
 * Re-record after an intentional, patched() change: RETRAIN_RECORD_HISTORIES=1 npm test -- test/integration
 */
const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();

// Every workflow type and the outcomes that take different code paths must stay covered.
const REQUIRED = ['pipeline-promoted', 'pipeline-rejected', 'pipeline-skipped', 'pipeline-failed-validate', 'pipeline-approved', 'pipeline-failed-deploy', 'pipeline-rejected-cas', 'pipeline-rolled_back', 'move-production-rollback', 'move-production-rollback-skips-bad', 'pipeline-data-snapshot', 'pipeline-rolled_back-skips-bad', 'controller-burst', 'controller-followup', 'controller-policy', 'controller-sched', 'controller-carry-run', 'controller-adopted-run', 'pipeline-reports-to-controller', 'scheduled-trigger', 'pipeline-skipped-lazy-check', 'controller-budget', 'pipeline-skipped-budget', 'pipeline-forced-over-budget', 'pipeline-fleet-queued', 'fleet-semaphore', 'backtest', 'backtest-train', 'controller-quick-skip', 'scheduled-trigger-skip', 'pipeline-forced-beside-training', 'pipeline-forced-check-failed', 'pipeline-forced-validation-failed',
  // Recorded after `controller-patches-first` and `plan-run-activity`: the shapes new runs take.
  'controller-burst.patches-first', 'controller-quick-skip.patches-first', 'controller-carry-run.patches-first', 'pipeline-promoted.patches-first', 'pipeline-forced-beside-training.patches-first',
  // Recorded after `pipeline-patches-folded`: one patch marker, the config and the record in local activities.
  'pipeline-promoted.folded', 'pipeline-rejected.folded', 'pipeline-skipped.folded', 'pipeline-failed-validate.folded', 'pipeline-approved.folded', 'pipeline-rolled_back-skips-bad.folded', 'pipeline-forced-beside-training.folded', 'pipeline-fleet-queued.folded', 'pipeline-reports-to-controller.folded',
  // Recorded after `search-attributes-at-waits`: its one marker first, upserts at the steps a run waits in.
  'pipeline-promoted.at-waits', 'pipeline-rejected.at-waits', 'pipeline-skipped.at-waits', 'pipeline-failed-validate.at-waits', 'pipeline-approved.at-waits', 'pipeline-failed-deploy.at-waits', 'pipeline-rolled_back-skips-bad.at-waits', 'pipeline-forced-beside-training.at-waits', 'pipeline-fleet-queued.at-waits', 'pipeline-reports-to-controller.at-waits', 'pipeline-forced-quick.at-waits', 'pipeline-forced-slow-training.at-waits', 'pipeline-forced-large-data.at-waits', 'pipeline-forced-failed-evaluate.at-waits'];

/**
 * Recorded while the pipeline read its config in a local activity: patches asked after it. They must still replay,
 * but nothing recorded since may look like them.
 */
const LATE_PATCHES_BEFORE_PLAN_RUN_ACTIVITY = ['pipeline-forced-beside-training', 'pipeline-forced-check-failed', 'pipeline-forced-validation-failed'];

interface Marker { markerName: string; details?: Record<string, { payloads?: { data: string }[] }> }
/** The patch ids a history records after its first local activity: those a replay can resolve differently. */
function patchesAfterLocalActivity(history: { events: { markerRecordedEventAttributes?: Marker }[] }): string[] {
  let local = false;
  const late: string[] = [];
  for (const e of history.events) {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === 'core_local_activity') local = true;
    const data = m?.markerName === 'core_patch' ? m.details?.['patch-data']?.payloads?.[0]?.data : undefined;
    if (local && data) late.push((JSON.parse(Buffer.from(data, 'base64').toString()) as { id: string }).id);
  }
  return late;
}

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

  it('asks every patch before the first local activity (except recordings older than the rule)', () => {
    for (const file of files) {
      const name = file.replace(/\.json$/, '');
      if (LATE_PATCHES_BEFORE_PLAN_RUN_ACTIVITY.includes(name)) continue;
      const late = patchesAfterLocalActivity(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
      assert.deepEqual(late, [], `${file} records patches after a local activity`);
    }
  });

  it('holds no path of the machine that recorded it, inside payloads either', () => {
    for (const file of files) {
      const text = readFileSync(path.join(HISTORIES_DIR, file), 'utf8');
      const payloads = [...text.matchAll(/"data": "([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
      for (const t of [text, ...payloads]) assert.ok(!t.includes(PROJECT_ROOT), `${file} holds ${PROJECT_ROOT}`);
    }
  });

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const { workflowId, ...history } = JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')) as { workflowId: string };
      await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
    });
  }
});
