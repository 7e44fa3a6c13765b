import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { stringify } from 'yaml';
import { defaultDeps } from '../../src/activities/deps.js';
import { createPipelineSteps } from '../../src/activities/pipeline-steps.js';
import { afterQuiet, heartbeating, QUIET_MS, quietFor } from '../../src/activities/heartbeat.js';
import { stepsSchema } from '../../src/config/schema.js';

/*
 * snapshotAndValidate, the validate step as one activity: an attempt that took a second or more heartbeats the snapshot
 * it took, and a retry validates that snapshot instead of copying the data again, but only while its folder still exists.
 */

function project() {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-snapval-'));
  mkdirSync(path.join(dir, 'data'));
  const data = path.join(dir, 'data', 'd.csv');
  writeFileSync(data, `id,x,y\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 7},${i % 2}`).join('\n')}\n`);
  const file = path.join(dir, 'retrain.config.yaml');
  const model = { data: { current: 'data/d.csv', evaluation: 'data/d.csv', target: 'y' }, train: { command: ['true'] }, evaluate: { command: ['true'] }, validation: { minRows: 1 }, promotion: { metric: 'auc' } };
  writeFileSync(file, stringify({ version: 1, dataRoots: ['.'], stateDir: '.retrain', models: { m: model } }));
  const steps = createPipelineSteps(defaultDeps(file));
  /** One attempt of the activity in `env` (its info: attempt, heartbeat details). */
  const attempt = (env: MockActivityEnvironment, input: { plan: Awaited<ReturnType<typeof steps.planRun>>; pipelineId: string }) =>
    env.run(steps.snapshotAndValidate, input) as ReturnType<typeof steps.snapshotAndValidate>;
  return { data, steps, attempt, plan: () => steps.planRun({ model: 'm' }) };
}

describe('snapshotAndValidate', () => {
  it('a retry validates the snapshot an earlier attempt named and copies nothing, while its folder exists', async () => {
    const p = project();
    const plan = await p.plan();
    const first = new MockActivityEnvironment();
    const beats: unknown[] = [];
    first.on('heartbeat', (d: unknown) => beats.push(d));
    const { snapshot, report } = await p.attempt(first, { plan, pipelineId: 'run-1' });
    assert.equal(report.passed, true);
    assert.deepEqual(beats, [], 'a snapshot taken and validated within a second sends no heartbeat (each is a server write)');
    // The attempt died before it could beat: its retry on this host finds the snapshot in the note the attempt left,
    // and validates it although the source is gone.
    const source = readFileSync(p.data);
    rmSync(p.data);
    const unnamed = await p.attempt(new MockActivityEnvironment({ attempt: 2 }), { plan, pipelineId: 'run-1' });
    assert.deepEqual(unnamed.snapshot, snapshot);
    writeFileSync(p.data, source);
    // The source is gone: a retry can only pass by validating the snapshot the first attempt took.
    rmSync(p.data);
    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { step: 'validate', snapshot } });
    const again = await p.attempt(retry, { plan, pipelineId: 'run-1' });
    assert.deepEqual(again.snapshot, snapshot);
    // What the earlier attempt recorded of it (another worker's DuckDB, in a rolling upgrade) is not taken on trust:
    // the retry reads the copy's schema and rows itself (a recorded 0 rows would fail minRows).
    const told = { ...snapshot, fingerprint: { ...snapshot.fingerprint, rows: 0, schema: [] } };
    const described = await p.attempt(new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { step: 'validate', snapshot: told } }), { plan, pipelineId: 'run-1' });
    assert.equal(described.report.passed, true, JSON.stringify(described.report.violations));
    // Its folder pruned meanwhile: the retry takes a new snapshot (here: of no data, so it fails naming the source).
    rmSync(path.dirname(snapshot.location), { recursive: true, force: true });
    const pruned = new MockActivityEnvironment({ attempt: 3, heartbeatDetails: { step: 'validate', snapshot } });
    await assert.rejects(p.attempt(pruned, { plan, pipelineId: 'run-1' }), /d\.csv: no such file/);
  });

  it('with a heartbeat timeout under 10 s, the snapshot is named at once, as before', async () => {
    const p = project();
    const plan = await p.plan();
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 2_000 });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const { snapshot } = await p.attempt(env, { plan, pipelineId: 'run-1' });
    assert.deepEqual((beats.at(-1) as { snapshot: unknown }).snapshot, snapshot);
    assert.equal(quietFor(2_000), 0);
    assert.equal(quietFor(60_000), QUIET_MS);
    assert.equal(quietFor(undefined), QUIET_MS);
  });

  it('progress beats start once the step has run a second, and then all go out', () => {
    let now = 0;
    const beats: number[] = [];
    const beat = afterQuiet((n: number) => beats.push(n), QUIET_MS, () => now);
    beat(1);
    now = QUIET_MS - 1;
    beat(2);
    now = QUIET_MS;
    beat(3);
    now = QUIET_MS + 5;
    beat(4);
    assert.deepEqual(beats, [3, 4]);
  });

  it('a validation that runs long keeps beating, each beat naming the snapshot (validate has a 1-minute heartbeat timeout)', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const snapshot = { location: '/s/d.csv' };
    await env.run(() => heartbeating('validate', () => new Promise((r) => setTimeout(r, 5_300)), { snapshot }));
    assert.deepEqual(beats, [{ snapshot, step: 'validate', elapsedMs: (beats[0] as { elapsedMs: number }).elapsedMs }]);
    assert.equal(stepsSchema.parse({}).validate.heartbeatTimeout, '1m');
  });
});

describe('checkData', () => {
  it('beats while a slow check runs (check has a 1-minute heartbeat timeout): a dead worker is noticed in a minute', async () => {
    const p = project();
    const deps = defaultDeps(path.join(path.dirname(path.dirname(p.data)), 'retrain.config.yaml'));
    // The engine's first statement takes 5.5 s, as hashing or drift on large data would.
    let delayed = false;
    const slow: typeof deps = {
      ...deps,
      engine: async () => {
        const engine = await deps.engine();
        return new Proxy(engine, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver) as unknown;
            if (key !== 'rows' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
            return async (...args: unknown[]) => {
              if (!delayed) await new Promise((r) => setTimeout(r, 5_500));
              delayed = true;
              return (value as (...a: unknown[]) => unknown).apply(target, args);
            };
          },
        });
      },
    };
    const steps = createPipelineSteps(slow);
    const plan = await steps.planRun({ model: 'm' });
    const env = new MockActivityEnvironment();
    const beats: { step?: string }[] = [];
    env.on('heartbeat', (d: { step?: string }) => beats.push(d));
    const check = (await env.run(steps.checkData, { plan, pipelineId: 'run-1' })) as Awaited<ReturnType<typeof steps.checkData>>;
    assert.equal(check.fingerprint.rows, 20);
    assert.ok(delayed, 'the slow statement ran');
    assert.ok(beats.some((b) => b.step === 'check'), JSON.stringify(beats));
    assert.equal(stepsSchema.parse({}).check.heartbeatTimeout, '1m');
  });
});
