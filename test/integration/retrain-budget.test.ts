import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultDeps } from '../../src/activities/deps.js';
import { listRunRecords } from '../../src/audit/audit-log.js';
import { controllerId, sendTrigger } from '../../src/client/controller.js';
import type { TriggerReason } from '../../src/workflows/types.js';
import { makeProject } from '../helpers/project.js';
import { recordHistory } from '../helpers/record-history.js';
import { withWorker } from '../helpers/temporal.js';
import { settled } from '../helpers/wait.js';

describe('retrain budget on a real dev server', () => {
  it('skips the second unforced trigger with maxRetrains 1 (saying when it frees), a forced one overrides it, and the window survives continue-as-new', async () => {
    const model = 'budget';
    // skipUnchangedData off: the second trigger must be refused by the budget, not by unchanged data.
    const p = await makeProject({ trigger: { quietPeriod: '300ms', skipUnchangedData: false, budget: { maxRetrains: 1, per: '7d' } } }, 1500, model);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      // A small history limit makes the controller continue-as-new between runs, so the budget
      // window the second and third runs read must have been carried in its state.
      const trigger = (reason: TriggerReason, extra: object = {}) =>
        sendTrigger(client, { model, taskQueue, trigger: { reason, source: 'test', ...extra }, maxHistoryEvents: 40 });
      try {
        await trigger('manual');
        const first = (await settled(client, model, 1)).recent[0]!;
        assert.equal(first.outcome, 'promoted', first.reason);

        await trigger('manual');
        const s2 = await settled(client, model, 2);
        const second = s2.recent[0]!;
        assert.equal(second.outcome, 'skipped', second.reason);
        const freesAt = /^skipped: budget: 1 retrain in the last 7d; frees at (\S+)$/.exec(second.reason)?.[1];
        assert.ok(freesAt, second.reason);
        const window = s2.memory.budget!;
        assert.equal(window.length, 1);
        assert.equal(window[0]!.candidate, true);
        assert.ok(window[0]!.trainingMs > 0);
        assert.equal(freesAt, new Date(Date.parse(window[0]!.at) + 7 * 86_400_000).toISOString());

        await trigger('manual', { force: true });
        const s3 = await settled(client, model, 3);
        const third = s3.recent[0]!;
        // Same data as production, so the candidate may lose the comparison: either way it trained.
        assert.ok(third.outcome === 'promoted' || third.outcome === 'rejected', third.reason);
        assert.equal(s3.memory.budget!.length, 2, 'the forced run entered the window too');
        assert.ok(s3.counters.continuedAsNew >= 1, 'the controller continued-as-new while the window was held');

        const records = await listRunRecords(path.join(p.dir, '.retrain'), model);
        const skipped = records.find((r) => r.workflowId === second.workflowId)!;
        const rule = skipped.decision?.rules.find((r) => r.rule === 'retrain_budget');
        assert.deepEqual(rule && [rule.fired, rule.measured, rule.threshold], [true, 1, 1], 'the audit trail records the budget rule');
        const forced = records.find((r) => r.workflowId === third.workflowId)!;
        assert.match(forced.decision!.reason, /^forced retrain \(manual\); overrode budget: 1 retrain in the last 7d \(frees at /);
        await recordHistory(client, second.workflowId, 'pipeline-skipped-budget');
        await recordHistory(client, third.workflowId, 'pipeline-forced-over-budget');
      } finally {
        await recordHistory(client, controllerId(model), 'controller-budget');
        await client.workflow.getHandle(controllerId(model)).terminate('test finished').catch(() => {});
      }
    });
  });
});
