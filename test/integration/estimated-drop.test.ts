import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { defaultDeps, runDir } from '../../src/activities/deps.js';
import { findRunRecord, type RunRecord } from '../../src/audit/audit-log.js';
import { explainRecord } from '../../src/cli/commands/audit.js';
import { retrainPipeline } from '../../src/workflows/index.js';
import type { PipelineResult } from '../../src/workflows/types.js';
import { generate } from '../../examples/churn/generate.js';
import { rng } from '../../examples/churn/random.js';
import { fixtureCommand, makeProject } from '../helpers/project.js';
import { withWorker } from '../helpers/temporal.js';

let seq = 0;
async function run(client: Client, taskQueue: string, reason: 'manual' | 'schedule'): Promise<{ result: PipelineResult; workflowId: string }> {
  const workflowId = `retrain/churn/estimate-${Date.now()}-${seq++}`;
  const result = await client.workflow.execute(retrainPipeline, { taskQueue, workflowId, args: [{ model: 'churn', triggers: [{ reason, source: 'test' }] }] });
  return { result, workflowId };
}

/** Adds the serving system's probability column to a CSV: `proba(i)` for row i. */
/** A scheduled run that retrained on the estimated drop: its result, audit record and the fired rule. */
async function runWithFiredEstimate(client: Client, taskQueue: string, dir: string) {
  const { result, workflowId } = await run(client, taskQueue, 'schedule');
  assert.notEqual(result.outcome, 'skipped', result.reason);
  assert.notEqual(result.outcome, 'failed', result.reason);
  const record = (await findRunRecord(path.join(dir, '.retrain'), workflowId)) as RunRecord;
  const rule = record.decision!.rules.find((x) => x.rule === 'estimated_drop')!;
  assert.ok(rule, JSON.stringify(record.decision!.rules));
  assert.equal(rule.fired, true);
  return { result, workflowId, record, rule };
}

function withProba(file: string, proba: (i: number) => number) {
  const [header, ...rows] = readFileSync(file, 'utf8').trimEnd().split('\n');
  writeFileSync(file, [`${header},p_churn`, ...rows.map((r, i) => `${r},${proba(i).toFixed(6)}`)].join('\n') + '\n');
}

/**
 * Unlabelled rows (no label column) from a part of the feature space where the churn model cannot tell customers
 * apart: one contract, one internet service, one payment method, tenure and calls within a narrow range.
 */
function unlabelled(source: string, out: string) {
  const [header, ...rows] = readFileSync(source, 'utf8').trimEnd().split('\n');
  const names = header!.split(',');
  const keep = names.filter((n) => n !== 'churned');
  const narrow: Record<string, (i: number) => string> = {
    tenure_months: (i) => String(29 + (i % 3)),
    monthly_charges: () => '65.00',
    contract: () => 'one-year',
    internet_service: () => 'dsl',
    support_calls: (i) => String(1 + (i % 2)),
    payment_method: () => 'card',
  };
  const lines = rows.map((r, i) => {
    const cells = Object.fromEntries(r.split(',').map((v, j) => [names[j]!, v]));
    return keep.map((n) => narrow[n]?.(i) ?? cells[n]).join(',');
  });
  writeFileSync(out, [keep.join(','), ...lines].join('\n') + '\n');
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
      const { record, rule } = await runWithFiredEstimate(client, taskQueue, p.dir);
      // measured is the relative drop; the band is the estimate's (±3 sampling errors).
      const est = record.check!.estimate!;
      assert.ok(rule.band && rule.band.lower <= est.value && est.value <= rule.band.upper, JSON.stringify({ rule, est }));
      assert.ok(Math.abs((rule.measured as number) - (est.reference - est.value) / est.reference) < 1e-9, JSON.stringify({ rule, est }));
      assert.ok(est.reference > 0.7 && est.value < 0.6, JSON.stringify(est));
      assert.match(explainRecord(record), /estimated_drop/);
    });
  });
  it('estimate.from: score: the evaluator scores unlabelled data in RETRAIN_MODE=score, and the estimated drop retrains', async () => {
    const p = await makeProject({
      trigger: { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } },
      estimate: { from: 'score', data: 'data/unlabelled.csv' },
    });
    const current = path.join(p.dataDir, 'current.csv');
    const fresh = path.join(p.dataDir, 'unlabelled.csv');
    const scratch = path.join(p.dir, 'labelled-later.csv');
    await generate({ rows: 800, seed: 5, shift: 0, out: scratch, startId: 2_000_001 });
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue, 'manual')).result.outcome, 'promoted');
      // Labelled training data moved on (so the check is not skipped as unchanged); the newest rows have no labels yet.
      await generate({ rows: 1500, seed: 7, shift: 0, out: current });
      unlabelled(scratch, fresh);
      assert.doesNotMatch(readFileSync(fresh, 'utf8').split('\n', 1)[0]!, /churned/);
      const { result, workflowId, record } = await runWithFiredEstimate(client, taskQueue, p.dir);
      const est = record.check!.estimate!;
      assert.ok(est.reference > 0.7 && est.value < 0.6, JSON.stringify(est));
      // The score-only output: one line per unlabelled row, no label.
      const scored = path.join(runDir(path.join(p.dir, '.retrain'), 'churn', workflowId), 'score-current', 'predictions.csv');
      assert.ok(existsSync(scored), scored);
      const [header, ...lines] = readFileSync(scored, 'utf8').trimEnd().split('\n');
      assert.equal(header, 'row,score,prediction');
      assert.equal(lines.length, 800);
      assert.equal(result.outcome, 'promoted', result.reason);
      // Lazy evidence: with data and params unchanged since the new production, the check decides a skip and never
      // runs the scorer.
      const again = await run(client, taskQueue, 'schedule');
      assert.equal(again.result.outcome, 'skipped', again.result.reason);
      assert.equal(existsSync(path.join(runDir(path.join(p.dir, '.retrain'), 'churn', again.workflowId), 'score-current')), false);
      const skipped = (await findRunRecord(path.join(p.dir, '.retrain'), again.workflowId)) as RunRecord;
      assert.ok(skipped.check!.notComputed?.some((x) => x.what === 'estimate' && x.kind === 'decided'), JSON.stringify(skipped.check!.notComputed));
    });
  });
  it('estimate.from: score: a score-only output that breaks the contract fails the check with a typed error naming file and column', async () => {
    const p = await makeProject({
      trigger: { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } },
      estimate: { from: 'score' },
    });
    const current = path.join(p.dataDir, 'current.csv');
    await withWorker(defaultDeps(p.configFile), async ({ client, taskQueue }) => {
      assert.equal((await run(client, taskQueue, 'manual')).result.outcome, 'promoted');
      for (const [bad, message] of [
        ['short', /1499 row\(s\), but the data it scored \(.*current\.csv\) has 1500/],
        ['range', /1 value\(s\) of "score" are not probabilities in \[0, 1\] \(first at row 3: "1.5"\)/],
      ] as const) {
        p.writeConfig({
          trigger: { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } },
          estimate: { from: 'score' },
          evaluate: { command: fixtureCommand('bad-score-evaluate.mjs'), env: { BAD_SCORE: bad } },
        });
        await generate({ rows: 1500, seed: bad === 'short' ? 8 : 9, shift: 0, out: current });
        const { result, workflowId } = await run(client, taskQueue, 'schedule');
        assert.equal(result.outcome, 'failed', result.reason);
        if (result.outcome !== 'failed') continue;
        assert.equal(result.step, 'check');
        assert.equal(result.error.type, 'CommandContractError', result.error.message);
        const file = path.join(runDir(path.join(p.dir, '.retrain'), 'churn', workflowId), 'score-current', 'predictions.csv');
        assert.ok(result.error.message.startsWith(`${file}: `), result.error.message);
        assert.match(result.error.message, message);
      }
      // Data that changes while it is scored is not the command's fault: retried, then a failure that says so.
      p.writeConfig({
        trigger: { dataDrift: false, estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.1 } },
        estimate: { from: 'score' },
        evaluate: { command: fixtureCommand('bad-score-evaluate.mjs'), env: { BAD_SCORE: 'append' } },
      });
      await generate({ rows: 1500, seed: 10, shift: 0, out: current });
      const { result } = await run(client, taskQueue, 'schedule');
      assert.equal(result.outcome, 'failed', result.reason);
      if (result.outcome === 'failed') {
        assert.equal(result.step, 'check');
        assert.notEqual(result.error.type, 'CommandContractError', result.error.message);
        assert.match(result.error.message, /current\.csv changed while the evaluation command scored it \(\d+ rows, .*\); the check will run again/);
      }
    });
  });
});
