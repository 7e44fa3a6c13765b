import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { evidenceFromHistory } from '../../src/report/run-evidence.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import { makeProject } from '../helpers/project.js';
import { defaultDeps, withWorker } from '../helpers/temporal.js';

/*
 * Since `pipeline-patches-folded` a run asks one patch, first (today `search-attributes-at-waits`, which stands for
 * it), reads its config and writes its record in local activities, and hands the record its steps' evidence
 * instead of the record activity reading the history back.
 * How that could lie: a record whose evidence is not what the steps returned (a validation report of another
 * attempt, a missing training time), a patch asked after a local activity (a replay that takes another branch),
 * a step that silently stopped being an activity.
 */

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

async function runOnce(client: Client, taskQueue: string): Promise<History> {
  const workflowId = `retrain/churn/evidence-${Date.now()}`;
  await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason: 'manual', source: 'test' }] }] });
  return client.workflow.getHandle(workflowId).fetchHistory();
}

function shape(history: History) {
  const activities = history.events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
  const markers = history.events!.flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (!m) return [];
    const payload = m.details?.[m.markerName === 'core_patch' ? 'patch-data' : 'data']?.payloads?.[0]?.data;
    const detail = payload ? (JSON.parse(Buffer.from(payload).toString()) as { id?: string; activity_type?: string }) : {};
    return [`${m.markerName}:${detail.id ?? detail.activity_type ?? ''}`];
  });
  return { activities, markers };
}

describe('a run hands its record the evidence its steps returned (real dev server)', () => {
  it('promoted: one patch marker first, config and record as local activities, the evidence equal to the history', async () => {
    const p = await makeProject();
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const history = await runOnce(client, taskQueue);
      const { activities, markers } = shape(history);
      assert.deepEqual(activities, ['checkData', 'snapshotAndValidate', 'trainCandidate', 'evaluateModels', 'registerCandidate', 'promoteVersion'], 'the six steps stay activities, each its own row');
      assert.deepEqual(markers, ['core_patch:search-attributes-at-waits', 'core_local_activity:planRun', 'core_local_activity:recordRun']);
      const [record] = await listRunRecords(path.join(p.dir, '.retrain'), 'churn');
      assert.equal(record?.result.outcome, 'promoted');
      assert.ok(record.evidence?.validation && typeof record.evidence.trainDurationMs === 'number' && record.evidence.evaluationSha256, JSON.stringify(record.evidence));
      assert.deepEqual(record.evidence, evidenceFromHistory(history));
    });
  });

  it('failed at validate: the record keeps the failure\'s validation report, as the history has it', async () => {
    const p = await makeProject();
    const file = path.join(p.dataDir, 'current.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n1,\d+,/, '\n1,-5,'));
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      const history = await runOnce(client, taskQueue);
      const [record] = await listRunRecords(path.join(p.dir, '.retrain'), 'churn');
      assert.equal(record?.result.outcome, 'failed');
      assert.equal(record.evidence?.validation?.passed, false);
      assert.ok(record.evidence.validation.violations.some((v) => v.column === 'tenure_months'), JSON.stringify(record.evidence.validation.violations));
      assert.deepEqual(record.evidence, evidenceFromHistory(history));
    });
  });
});
