import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps } from '../../src/activities/deps.js';
import { findRunRecord, type RunRecord } from '../../src/audit/audit-log.js';
import { explainRecord } from '../../src/cli/commands/audit.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { generate } from '../../examples/churn/generate.js';
import { rng } from '../../examples/churn/random.js';
import { makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

let seq = 0;
async function run(client: Client, taskQueue: string, reason: 'manual' | 'schedule'): Promise<{ result: PipelineResult; workflowId: string }> {
  const workflowId = `retrain/churn/estimate-${Date.now()}-${seq++}`;
  const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason, source: 'test' }] }] });
  return { result, workflowId };
}

/** Adds the serving system's probability column to a CSV: `proba(i)` for row i. */
function withProba(file: string, proba: (i: number) => number) {
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  writeFileSync(file, [`${header},p_churn`, ...rows.map((r, i) => `${r},${proba(i).toFixed(6)}`)].join('\n') + '\n');
}

// Issue 15 §1: labels arrive late; the estimate of production's performance on today's unlabelled data is evidence.
describe('trigger.estimatedDrop: performance estimated without labels decides (real dev server)', () => {
  it('scores that lost their spread estimate a drop below the reference and retrain; the rule records value, band and threshold', async () => {
    const p = await makeProject({ trigger: { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } }, estimate: { proba: 'p_churn' } });
    const current = path.join(p.dataDir, 'current.csv');
    withProba(current, () => 0.5);
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue, 'manual')).result.outcome, 'promoted');
      // New data whose scores all sit near the middle: calibrated on production's own predictions, they say the
      // model no longer separates the classes.
      await generate({ rows: 1500, seed: 7, shift: 0, out: current });
      const r = rng(11);
      withProba(current, () => 0.45 + 0.1 * r.next());
      const { result, workflowId } = await run(client, taskQueue, 'schedule');
      assert.notEqual(result.outcome, 'skipped', result.reason);
      assert.notEqual(result.outcome, 'failed', result.reason);
      const record = (await findRunRecord(path.join(p.dir, '.retrain'), workflowId)) as RunRecord;
      const rule = record.decision!.rules.find((x) => x.rule === 'estimated_drop')!;
      assert.ok(rule, JSON.stringify(record.decision!.rules));
      assert.equal(rule.fired, true);
      // measured is the relative drop; the band is the estimate's (±3 sampling errors).
      const est = record.check!.estimate!;
      assert.ok(rule.band && rule.band.lower <= est.value && est.value <= rule.band.upper, JSON.stringify({ rule, est }));
      assert.ok(Math.abs((rule.measured as number) - (est.reference - est.value) / est.reference) < 1e-9, JSON.stringify({ rule, est }));
      assert.ok(est.reference > 0.7 && est.value < 0.6, JSON.stringify(est));
      assert.match(explainRecord(record), /estimated_drop/);
    });
  });
});
