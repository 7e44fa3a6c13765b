import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { createPipelineSteps } from '../../src/activities/pipeline-steps.js';
import { defaultDeps, runDir } from '../../src/activities/deps.js';
import { findRunRecord, type RunRecord } from '../../src/audit/audit-log.js';
import { explainRecord } from '../../src/cli/commands/audit.js';
import { loadConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { EMPTY_MEMORY, type TriggerContext } from '../../src/policy/trigger-policy.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { generate } from '../../examples/churn/generate.js';
import { makeProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { withWorker } from '../helpers/temporal.js';

let seq = 0;
async function run(client: Client, taskQueue: string, reason: 'manual' | 'schedule', force = false, record?: string): Promise<{ result: PipelineResult; workflowId: string }> {
  const workflowId = `retrain/churn/lazy-${Date.now()}-${seq++}`;
  const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason, source: 'test' }], force }] });
  if (record) await recordHistory(client, workflowId, record);
  return { result, workflowId };
}

/** The check scores production by running the evaluation command in this folder: its absence means no child process. */
const scoredIn = (stateDir: string, workflowId: string) => existsSync(path.join(runDir(stateDir, 'churn', workflowId), 'evaluate-check-production'));

describe('a skipped check does only what the decision needs (real dev server)', () => {
  it('unchanged data: no drift report, no evaluation process, and the record and explain say what was not computed and why', async () => {
    const p = await makeProject({ trigger: { performanceFloor: 0.5, maxRelativeDrop: 0.5 } });
    const stateDir = path.join(p.dir, '.retrain');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue, 'manual')).result.outcome, 'promoted');
      const { result, workflowId } = await run(client, taskQueue, 'schedule', false, 'pipeline-skipped-lazy-check');
      assert.equal(result.outcome, 'skipped', result.reason);
      assert.match(result.reason, /data and params unchanged/);
      assert.equal(scoredIn(stateDir, workflowId), false, 'production was not scored');
      assert.equal(existsSync(path.join(runDir(stateDir, 'churn', workflowId), 'check', 'drift.json')), false, 'no drift report');
      const record = (await findRunRecord(stateDir, workflowId)) as RunRecord;
      assert.deepEqual(
        record.decision!.notComputed!.map((n) => [n.what, n.kind]),
        [['drift', 'decided'], ['score', 'decided']],
      );
      assert.match(record.decision!.notComputed![1]!.why, /data and params unchanged since production v1/);
      assert.equal(record.check!.performance, null);
      assert.match(explainRecord(record), /not computed score +data and params unchanged since production v1 was trained/);

      // Forced: every number, as before.
      const forced = await run(client, taskQueue, 'schedule', true);
      assert.notEqual(forced.result.outcome, 'failed', forced.result.reason);
      assert.equal(scoredIn(stateDir, forced.workflowId), true, 'a forced run scores production');
      const forcedRecord = (await findRunRecord(stateDir, forced.workflowId)) as RunRecord;
      assert.ok(forcedRecord.check!.performance && forcedRecord.check!.drift, 'performance and drift measured');
      assert.equal(forcedRecord.decision!.notComputed, undefined);
      assert.ok(forcedRecord.decision!.rules.some((r) => r.rule === 'relative_drop'));
    });
  });

  it('changed data keeps the performance and drift rules\' numbers; a cooldown that decides anyway skips them unless breaches are counted', async () => {
    const p = await makeProject({ trigger: { performanceFloor: 0.5, maxRelativeDrop: 0.5, cooldown: '1h' } });
    const stateDir = path.join(p.dir, '.retrain');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue, 'manual')).result.outcome, 'promoted');
    });
    await generate({ rows: 1500, seed: 3, shift: 0, out: path.join(p.dataDir, 'current.csv') });
    const check = createPipelineSteps(defaultDeps(p.configFile)).checkData;
    const plan = () => planModel(loadConfig(p.configFile), 'churn');
    const context: TriggerContext = { reasons: ['schedule'], force: false, explicit: [], nowMs: Date.now() };

    // No cooldown in memory (production was created more than 1h ago in this context): the decision is open.
    const later = { ...context, nowMs: Date.now() + 2 * 3600_000 };
    const open = await check({ plan: plan(), pipelineId: 'check-open', decision: { context: later, memory: EMPTY_MEMORY } });
    assert.equal(open.dataUnchanged, false);
    assert.ok(open.performance, 'performance rules get their score');
    assert.ok(open.drift, 'the data-drift rule gets its report');
    assert.equal(open.notComputed, undefined);
    assert.equal(scoredIn(stateDir, 'check-open'), true);

    // In the cooldown, one breach enough: skipped whatever the evidence says, so none is computed.
    const cooling = await check({ plan: plan(), pipelineId: 'check-cooldown', decision: { context, memory: EMPTY_MEMORY } });
    assert.equal(cooling.performance, null);
    assert.equal(cooling.drift, null);
    assert.deepEqual(cooling.notComputed?.map((n) => n.what), ['drift', 'score']);
    assert.equal(scoredIn(stateDir, 'check-cooldown'), false);

    // Two breaches needed: the cooldown still skips, but the breach count depends on the evidence.
    p.writeConfig({ trigger: { performanceFloor: 0.5, maxRelativeDrop: 0.5, cooldown: '1h', consecutiveBreaches: 2 } });
    const counting = await check({ plan: plan(), pipelineId: 'check-counting', decision: { context, memory: EMPTY_MEMORY } });
    assert.ok(counting.performance && counting.drift);

    // A check without a decision context (a run started before lazy checks) computes everything.
    const eager = await check({ plan: plan(), pipelineId: 'check-eager' });
    assert.ok(eager.performance && eager.drift);
  });
});
