import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities/index.js';
import type { CheckResult } from '../../src/activities/types.js';
import { parseConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { evidenceFromHistory, type RunEvidence } from '../../src/report/run-evidence.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { RetrainCandidateVersion, RetrainDataFingerprint, RetrainOutcome, RetrainStep, RetrainTrigger } from '../../src/temporal/search-attributes.js';
import { testTemporal } from '../helpers/temporal.js';
import { recordHistory } from '../helpers/record-history.js';
import { until } from '../helpers/wait.js';

/*
 * A forced run's check runs beside training (retrain-pipeline.ts, forcedRun): the ways that could lie, with every
 * activity mocked. Training must not wait for the check; the run must still fail at check when the check fails
 * (nothing evaluated or registered); the fingerprint registered is the snapshot's even when the check, finishing
 * last, saw other bytes; a failed validation still records the check.
 */

const SOURCE_SEEN_BY_CHECK = { sha256: 'aa'.repeat(32), files: 1, bytes: 11, rows: 6, schema: [] };
const SNAPSHOT = { sha256: 'bb'.repeat(32), files: 1, bytes: 10, rows: 5, schema: [] };

function mocks(opts: { checkFails?: boolean; validationFails?: boolean; violations?: number; trainMs?: number; evaluateFails?: boolean; evaluateMs?: number; snapshotBytes?: number }) {
  const model = `forced-${randomUUID().slice(0, 8)}`;
  const dir = path.join('/nonexistent', randomUUID());
  const plan = planModel(
    parseConfig({ version: 1, models: { [model]: { data: { current: 'c.csv', evaluation: 'e.csv', target: 'y' }, train: { command: ['train'] }, evaluate: { command: ['eval'] }, promotion: { metric: 'auc' } } } }, path.join(dir, 'retrain.config.yaml')),
    model,
  );
  const calls: string[] = [];
  let trainStarted = false;
  let checkSawTraining = false;
  let registered: unknown;
  let recorded: { check?: CheckResult | null; evidence?: RunEvidence } | undefined;
  const violations = Array.from({ length: opts.violations ?? 0 }, (_, i) => ({ column: `c${i}`, rule: 'nulls', severity: 'warn', expected: '<= 5%', observed: '7%', samples: ['x'.repeat(40)] }));
  const check: CheckResult = { fingerprint: SOURCE_SEEN_BY_CHECK, production: null, dataUnchanged: false, paramsUnchanged: false, drift: null, predictionDrift: null, performance: null, newRows: 6 };
  const activities: Partial<Record<keyof Activities, (...args: never[]) => Promise<unknown>>> = {
    planRun: async () => plan,
    checkData: async () => {
      calls.push('check');
      // The check finishes after training has started: it gathers the record's evidence while the model trains.
      for (let i = 0; i < 200 && !trainStarted && !opts.validationFails; i++) await new Promise((r) => setTimeout(r, 25));
      checkSawTraining = trainStarted;
      if (opts.checkFails) throw ApplicationFailure.nonRetryable('production artifact missing', 'RegistryError');
      return check;
    },
    snapshotAndValidate: async () => {
      calls.push('validate');
      if (opts.validationFails) throw ApplicationFailure.nonRetryable('y: required column missing', 'DataValidationError');
      const fingerprint = opts.snapshotBytes ? { ...SNAPSHOT, bytes: opts.snapshotBytes } : SNAPSHOT;
      return { snapshot: { source: 'c.csv', location: '/snap/c.csv', fingerprint, reused: false }, report: { passed: true, violations } };
    },
    trainCandidate: async () => {
      calls.push('train');
      trainStarted = true;
      if (opts.trainMs) await new Promise((r) => setTimeout(r, opts.trainMs));
      return { outputDir: dir, artifactDir: dir, artifact: { sha256: 'cd'.repeat(32), uri: 'mock:model', store: 'mock' }, trainMetrics: {}, durationMs: 1 };
    },
    evaluateModels: async () => {
      calls.push('evaluate');
      if (opts.evaluateMs) await new Promise((r) => setTimeout(r, opts.evaluateMs));
      if (opts.evaluateFails) throw ApplicationFailure.nonRetryable('evaluation command exited with code 3', 'EvaluationCommandError');
      return { candidate: { auc: 0.8 }, production: null, evaluationSha256: 'ef'.repeat(32), comparison: null };
    },
    registerCandidate: async (input: never) => {
      calls.push('register');
      registered = (input as { fingerprint: unknown }).fingerprint;
      return { model, version: 1, recordId: 'x', workflowId: 'x' };
    },
    promoteVersion: async () => ({ moved: true, move: { model, alias: 'production', from: null, to: 1, at: new Date().toISOString(), actor: 'pipeline', reason: 'mock' } }),
    recordRun: async (input: never) => ((recorded = input), path.join(dir, 'record.json')),
    notify: async () => undefined,
  };
  return { model, activities, calls, state: () => ({ checkSawTraining, registered, recorded }) };
}

/** Runs one forced pipeline on the mocks; with RETRAIN_RECORD_HISTORIES=1 its history becomes a replay fixture. */
async function forcedRun(m: ReturnType<typeof mocks>, recordAs: string) {
  const t = await testTemporal();
  const taskQueue = `test-${randomUUID()}`;
  const workflowId = `forced-test/${randomUUID()}`;
  const worker = await Worker.create({ connection: t.connection, namespace: t.target.namespace, taskQueue, workflowBundle: t.bundle, activities: m.activities });
  const result = await worker.runUntil(t.client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: m.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }] }));
  await recordHistory(t.client, workflowId, recordAs);
  const handle = t.client.workflow.getHandle(workflowId);
  return Object.assign(result, { history: await handle.fetchHistory(), attributes: (await handle.describe()).typedSearchAttributes });
}

describe('a forced run checks beside training, on the dev server', () => {
  it('trains without waiting for the check, then registers the snapshot\'s fingerprint, not the one the check saw', async () => {
    const m = mocks({});
    const result = await forcedRun(m, 'pipeline-forced-beside-training');
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.ok(m.state().checkSawTraining, 'training started while the check ran');
    assert.deepEqual(m.state().registered, SNAPSHOT);
    assert.deepEqual(result.dataFingerprint, SNAPSHOT);
    assert.equal(result.decision?.reason, 'forced retrain (manual)');
    assert.deepEqual(m.calls.slice(-2), ['evaluate', 'register'], 'evaluation waited for the check');
    assert.deepEqual(m.state().recorded?.check?.fingerprint, SOURCE_SEEN_BY_CHECK, 'the record keeps what the check saw');
    // The data fingerprint attribute is the snapshot's from the moment it is set: the check's never shows, even briefly.
    const fingerprints = result.history.events!.flatMap((e) => {
      const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      return fields.RetrainDataFingerprint ? [JSON.parse(Buffer.from(fields.RetrainDataFingerprint.data!).toString())] : [];
    });
    assert.deepEqual(fingerprints, [SNAPSHOT.sha256.slice(0, 16)]);
    // The steps' evidence reaches the record with the run's own results, the same as the history holds.
    assert.deepEqual(m.state().recorded?.evidence, { validation: { passed: true, violations: [] }, trainDurationMs: 1, evaluationSha256: 'ef'.repeat(32) });
    assert.deepEqual(m.state().recorded?.evidence, evidenceFromHistory(result.history));
  });

  it('leaves evidence too large to store twice to be read from the history', async () => {
    const m = mocks({ violations: 1000 });
    const result = await forcedRun(m, 'pipeline-forced-large-evidence');
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.ok(m.state().recorded, 'the run was recorded');
    assert.equal(m.state().recorded?.evidence, undefined, 'not passed inline');
    assert.equal(evidenceFromHistory(result.history).validation?.violations.length, 1000, 'the history holds it, for the record activity to read');
  });

  it('fails at check when the check fails, even though training ran: nothing is evaluated or registered', async () => {
    const m = mocks({ checkFails: true });
    const result = await forcedRun(m, 'pipeline-forced-check-failed');
    assert.equal(result.outcome, 'failed');
    assert.equal(result.step, 'check', result.reason);
    assert.match(result.reason, /production artifact missing/);
    assert.ok(!m.calls.includes('evaluate') && !m.calls.includes('register'), m.calls.join(' '));
    assert.deepEqual(result.dataFingerprint, SNAPSHOT);
  });

  it('fails at validate when validation fails, and the record still has the check', async () => {
    const m = mocks({ validationFails: true });
    const result = await forcedRun(m, 'pipeline-forced-validation-failed');
    assert.equal(result.outcome, 'failed');
    assert.equal(result.step, 'validate', result.reason);
    assert.ok(!m.calls.includes('train'), m.calls.join(' '));
    assert.ok(m.state().recorded?.check, 'the check ran for the record');
    assert.equal(result.decision?.reason, 'forced retrain (manual)');
  });
});

/** The search attributes each workflow task of a history upserted (one entry per task that upserted any), decoded. */
function upsertsByTask(history: Awaited<ReturnType<typeof forcedRun>>['history']): Record<string, unknown>[] {
  const tasks: Record<string, unknown>[] = [];
  let task = -1;
  let last = -1;
  for (const e of history.events!) {
    if (e.workflowTaskCompletedEventAttributes) task++;
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (!fields) continue;
    if (task !== last) tasks.push({});
    last = task;
    for (const [k, v] of Object.entries(fields)) if (k !== 'TemporalChangeVersion') tasks.at(-1)![k] = JSON.parse(Buffer.from(v.data!).toString());
  }
  return tasks;
}

const stepsShown = (tasks: Record<string, unknown>[]) => tasks.flatMap((t) => (t.RetrainStep ? [t.RetrainStep] : []));

/*
 * Since search-attributes-at-waits a run upserts its search attributes at the steps it can wait in, not at each of
 * the quick ones between training and the outcome (each workflow task that upserts is a visibility write). How that
 * could lie: a finished run whose attributes differ from before (the step it ended in, its candidate version, its
 * fingerprint), a slow evaluation or a large register shown as the step before it, a value lost because it was held.
 */
describe('search attributes at the steps a run waits in', () => {
  it('a quick run upserts in three tasks, and ends with every attribute it had before: the step it ended in, its version, its fingerprint', async () => {
    const result = await forcedRun(mocks({}), 'pipeline-forced-quick');
    assert.equal(result.outcome, 'promoted', result.reason);
    const tasks = upsertsByTask(result.history);
    assert.equal(tasks.length, 3, JSON.stringify(tasks));
    assert.deepEqual(stepsShown(tasks), ['validate', 'train', 'promote'], 'evaluate and register after a quick training are not shown as they run');
    assert.deepEqual(tasks[0], { RetrainModel: result.model, RetrainTrigger: ['manual'], RetrainStep: 'validate' }, 'the first task: one upsert of ours');
    assert.deepEqual(tasks.at(-1), { RetrainCandidateVersion: 1, RetrainStep: 'promote', RetrainOutcome: 'promoted' });
    const a = result.attributes;
    assert.equal(a.get(RetrainStep), 'promote');
    assert.equal(a.get(RetrainCandidateVersion), 1);
    assert.equal(a.get(RetrainOutcome), 'promoted');
    assert.equal(a.get(RetrainDataFingerprint), SNAPSHOT.sha256.slice(0, 16));
    assert.deepEqual(a.get(RetrainTrigger), ['manual']);
  });

  it('after a training of 5 s or more, evaluation is shown as it runs', async () => {
    const result = await forcedRun(mocks({ trainMs: 5_200 }), 'pipeline-forced-slow-training');
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.deepEqual(stepsShown(upsertsByTask(result.history)), ['validate', 'train', 'evaluate', 'promote']);
  });

  it('with 256 MiB or more of training data, register is shown as it runs (its Parquet copy and profile take seconds)', async () => {
    const result = await forcedRun(mocks({ snapshotBytes: 300 * 1024 * 1024 }), 'pipeline-forced-large-data');
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.deepEqual(stepsShown(upsertsByTask(result.history)), ['validate', 'train', 'register', 'promote']);
  });

  it('a run cancelled in a step it did not show ends showing it: what it held goes out before it ends', async () => {
    const m = mocks({ evaluateMs: 3_000 });
    const t = await testTemporal();
    const taskQueue = `test-${randomUUID()}`;
    const worker = await Worker.create({ connection: t.connection, namespace: t.target.namespace, taskQueue, workflowBundle: t.bundle, activities: m.activities });
    await worker.runUntil(async () => {
      const h = await t.client.workflow.start(retrainPipeline, { taskQueue, workflowId: `forced-test/${randomUUID()}`, args: [{ model: m.model, triggers: [{ reason: 'manual', source: 'test' }], force: true }] });
      await until('the run evaluating', async () => m.calls.includes('evaluate') || null);
      await h.cancel();
      await assert.rejects(h.result());
      const a = (await h.describe()).typedSearchAttributes;
      assert.equal(a.get(RetrainStep), 'evaluate');
      assert.equal(a.get(RetrainOutcome), undefined, 'a cancelled run has no outcome');
    });
  });

  it('a run that fails in a step it did not show ends showing it, with the outcome', async () => {
    const result = await forcedRun(mocks({ evaluateFails: true }), 'pipeline-forced-failed-evaluate');
    assert.equal(result.outcome, 'failed');
    assert.equal(result.step, 'evaluate', result.reason);
    const tasks = upsertsByTask(result.history);
    assert.deepEqual(tasks.at(-1), { RetrainStep: 'evaluate', RetrainOutcome: 'failed' });
    assert.equal(result.attributes.get(RetrainStep), 'evaluate');
    assert.equal(result.attributes.get(RetrainCandidateVersion), undefined);
  });
});
