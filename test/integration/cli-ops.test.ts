import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { freePort } from '../../src/temporal/ports.js';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';
import { scheduleId } from '../../src/workflows/workflow-ids.js';
import { controllerId } from '../../src/client/controller.js';
import { bundleFileForSpawnedWorkers } from '../helpers/bundle-file.js';
import { makeProject } from '../helpers/project.js';
import { testTemporal } from '../helpers/temporal.js';
import { until } from '../helpers/wait.js';

/**
 * The operator commands as a user runs them: spawned processes, exit codes, `--json` parsed. A
 * spawned `retrain worker` does the work, on a task queue of this test's own.
 */
describe('retrain CLI against the dev server (spawned as a user runs it)', () => {
  it('worker, run, check --dry-run, trigger --wait, status, apply, schedule pause/unpause/trigger/backfill, dev, gateway', async () => {
    const t = await testTemporal();
    const p = await makeProject({ trigger: { quietPeriod: '1s' }, schedule: { cron: '0 3 * * *' } }, 1500, 'cli-ops');
    const env = { RETRAIN_CONFIG: p.configFile, TEMPORAL_ADDRESS: t.target.address, RETRAIN_TASK_QUEUE: `cli-ops-${Date.now()}`, RETRAIN_WORKFLOW_BUNDLE: await bundleFileForSpawnedWorkers() };
    const retrain = (...args: string[]) => execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), ...args], { env, reject: false });
    const json = async (...args: string[]) => {
      const r = await retrain(...args, '--json');
      assert.equal(r.exitCode, 0, `retrain ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const worker = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'worker'], { env, reject: false });
    try {
      const run = await json('run', 'cli-ops');
      assert.equal(run.outcome, 'promoted', String(run.reason));

      const check = await json('check', 'cli-ops', '--dry-run');
      assert.equal((check.decision as { retrain: boolean }).retrain, false, 'data and params unchanged: would skip');
      const human = await retrain('check', 'cli-ops', '--dry-run');
      assert.match(human.stdout, /would skip/);
      // The skip needed no drift report, and the dry run says so, as a run's record would.
      assert.deepEqual((check.decision as { notComputed?: { what: string }[] }).notComputed?.map((n) => n.what), ['drift']);
      assert.match(human.stdout, /not computed drift +data and params unchanged since production v1/);

      const triggered = await json('trigger', 'cli-ops', '--reason', 'business_change', '--force', '--wait');
      assert.ok(['promoted', 'rejected'].includes(String(triggered.outcome)), String(triggered.reason));
      const status = (await json('status', 'cli-ops')) as unknown as { model: string; phase: string; controllerId: string; recent: { workflowId: string }[] }[];
      assert.equal(status[0]!.controllerId, controllerId('cli-ops'));
      assert.equal(status[0]!.phase, 'idle');
      assert.equal(status[0]!.recent[0]!.workflowId, triggered.workflowId);
      const unknown = await retrain('trigger', 'no-such-model');
      assert.equal(unknown.exitCode, 2);
      assert.match(unknown.stderr, /unknown model "no-such-model" \(configured: cli-ops\)/);

      const planned = (await json('apply', '--dry-run')) as unknown as { scheduleId: string; change: string }[];
      assert.deepEqual(planned.map((c) => [c.scheduleId, c.change]), [[scheduleId('cli-ops'), 'create']]);
      assert.equal(((await json('apply')) as unknown as { change: string }[])[0]!.change, 'create');
      assert.equal(((await json('apply')) as unknown as { change: string }[])[0]!.change, 'unchanged');
      const handle = t.client.schedule.getHandle(scheduleId('cli-ops'));
      assert.equal((await retrain('schedule', 'pause', 'cli-ops', '--note', 'maintenance')).exitCode, 0);
      assert.equal((await handle.describe()).state.paused, true);
      assert.equal((await handle.describe()).state.note, 'maintenance');
      assert.equal((await retrain('schedule', 'unpause', 'cli-ops')).exitCode, 0);
      assert.equal((await handle.describe()).state.paused, false);
      assert.equal((await retrain('schedule', 'trigger', 'cli-ops')).exitCode, 0);
      await until('the triggered schedule action', async () => (await handle.describe()).info.numActionsTaken >= 1);
      const backfill = await retrain('schedule', 'backfill', 'cli-ops', '--start', '2026-03-01T00:00:00Z', '--end', '2026-03-03T12:00:00Z');
      assert.equal(backfill.exitCode, 0, backfill.stderr);
      await until('three backfilled slots', async () => (await handle.describe()).info.numActionsTaken >= 4);
      const badRange = await retrain('schedule', 'backfill', 'cli-ops', '--start', '2026-03-03', '--end', '2026-03-01');
      assert.equal(badRange.exitCode, 2);
      await handle.delete();
    } finally {
      worker.kill('SIGTERM');
      await worker;
      await t.client.workflow.getHandle(controllerId('cli-ops')).terminate('test finished').catch(() => {});
    }

    // `retrain dev` with TEMPORAL_ADDRESS set: a worker plus the schedules, on the given server; Ctrl-C stops it.
    const dev = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'dev'], { env, reject: false, forceKillAfterDelay: false });
    let out = '';
    dev.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('dev to be ready', async () => out.includes('ready; press Ctrl-C to stop'), 120_000);
    assert.match(out, /schedule retrain-schedule\/cli-ops: create/);
    dev.kill('SIGINT');
    const t0 = Date.now();
    const stopped = await dev;
    assert.equal(stopped.exitCode, 0, `dev ended by ${stopped.signal ?? 'exit'} after ${Date.now() - t0} ms: ${stopped.stderr}`);
    await t.client.schedule.getHandle(scheduleId('cli-ops')).delete();

    // `retrain gateway`: refuses to start without a secret; serves /healthz with one.
    const noSecret = await retrain('gateway');
    assert.equal(noSecret.exitCode, 2);
    assert.match(noSecret.stderr, /RETRAIN_GATEWAY_SECRET/);
    const port = await freePort();
    const gw = execa(process.execPath, [path.join(PROJECT_ROOT, 'bin/retrain.js'), 'gateway', '--port', String(port)], { env: { ...env, RETRAIN_GATEWAY_SECRET: 'a-long-enough-shared-secret' }, reject: false });
    await once(gw.stdout!, 'data');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    gw.kill('SIGINT');
    await gw;
  });
});
