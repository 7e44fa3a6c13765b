import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { parseConfig } from '../../src/config/load.js';
import { planModel } from '../../src/config/plan.js';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { failureOf } from '../../src/failure-result.js';
import { decideRetrain, EMPTY_MEMORY, type Evidence } from '../../src/policy/trigger-policy.js';
import { watchVerdict } from '../../src/policy/watch-policy.js';
import { stepOptions } from '../../src/workflows/activity-options.js';

// Issue 16 item 4: the pieces retrainPipeline is made of, each pure and tested on its own.

const NOW = Date.parse('2026-03-15T02:00:00Z');
const evidence = (performance: Evidence['performance']): Evidence => ({
  dataUnchanged: false,
  paramsUnchanged: true,
  production: { version: 3, createdAt: new Date(NOW).toISOString() },
  drift: null,
  predictionDrift: null,
  performance,
  newRows: 0,
});

/** The relative drop the trigger policy measured (its relative_drop rule), or null when it did not apply the rule. */
function triggerDrop(baseline: number, current: number, direction: 'maximize' | 'minimize'): number | null {
  const d = decideRetrain(triggerPolicySchema.parse({ maxRelativeDrop: 0.05 }), evidence({ metric: 'm', direction, current, baseline }), { reasons: ['schedule'], force: false, explicit: [], nowMs: NOW }, EMPTY_MEMORY);
  return (d.rules.find((r) => r.rule === 'relative_drop')?.measured as number | undefined) ?? null;
}

const watchDrop = (baseline: number, current: number, direction: 'maximize' | 'minimize') =>
  watchVerdict({ maxRelativeDrop: 0.05 }, { metric: 'm', direction }, { version: 4, value: baseline }, { m: current }).drop;

describe('one relativeDrop for the trigger policy and the watch window', () => {
  const cases: [number, number, 'maximize' | 'minimize'][] = [
    [0.8, 0.76, 'maximize'],
    [0.8, 0.84, 'maximize'],
    [0.2, 0.25, 'minimize'],
    [-2, -2.5, 'maximize'],
    // A zero baseline: the drop is measured in the metric's units (the trigger policy skipped the rule before).
    [0, 0.05, 'minimize'],
    [0, -0.05, 'maximize'],
    [0, 0, 'maximize'],
  ];
  for (const [baseline, current, direction] of cases) {
    it(`agree on ${baseline} → ${current} (${direction})`, () => {
      const fromTrigger = triggerDrop(baseline, current, direction);
      assert.notEqual(fromTrigger, null, 'the trigger policy applies the rule');
      assert.ok(Math.abs(fromTrigger! - watchDrop(baseline, current, direction)) < 1e-12);
    });
  }

  it('a zero baseline that worsens fires both', () => {
    assert.ok(triggerDrop(0, 0.1, 'minimize')! > 0.05);
    const v = watchVerdict({ maxRelativeDrop: 0.05 }, { metric: 'rmse', direction: 'minimize' }, { version: 4, value: 0 }, { rmse: 0.1 });
    assert.equal(v.breached, true);
    assert.match(v.breached ? v.why : '', /rmse 0.1 is 10.0% below the 0 v4 was promoted with/);
  });

  it('a metric the watch scoring does not report is a breach', () => {
    const v = watchVerdict({ maxRelativeDrop: 0.5 }, { metric: 'auc', direction: 'maximize' }, { version: 2, value: 0.8 }, {});
    assert.equal(v.breached, true);
    assert.match(v.breached ? v.why : '', /auc missing/);
  });
});

describe('failure → result', () => {
  it('an activity failure is described by its typed cause', () => {
    const cause = ApplicationFailure.create({ type: 'DataValidationError', message: '2 validation error(s)\n  x: notNull' });
    const err = new ActivityFailure('activity failed', 'validateData', '5', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);
    assert.deepEqual(failureOf(err), { type: 'DataValidationError', message: '2 validation error(s)\n  x: notNull' });
  });
  it('a plain error keeps its name', () => {
    assert.deepEqual(failureOf(new TypeError('boom')), { type: 'TypeError', message: 'boom' });
  });
});

describe('deploy and score have their own step settings', () => {
  const model = {
    data: { current: 'd/c.csv', evaluation: 'd/e.csv', target: 'y' },
    train: { command: ['python', 'train.py'] },
    evaluate: { command: ['python', 'eval.py'] },
    promotion: { metric: 'auc' },
  };
  const plan = (steps: Record<string, unknown>) => planModel(parseConfig({ version: 1, models: { m: { ...model, taskQueues: { training: 'gpu' }, steps } } }, '/x/retrain.config.yaml'), 'm');

  it('steps.deploy and steps.score are used when set', () => {
    const p = plan({ deploy: { timeout: '20m', retry: { maximumAttempts: 1 } }, score: { timeout: '3m' } });
    const deploy = stepOptions(p, 'deploy', 'd');
    assert.equal(deploy.startToCloseTimeout, '20m');
    assert.equal(deploy.retry?.maximumAttempts, 1);
    assert.equal(deploy.taskQueue, undefined, 'the deploy hook runs on the orchestration queue');
    const score = stepOptions(p, 'score', 's');
    assert.equal(score.startToCloseTimeout, '3m');
    assert.equal(score.taskQueue, 'gpu', 'scoring runs the model code, on the training queue');
  });

  it('unset (and in plans recorded before they existed), they take promote’s and evaluate’s, as before', () => {
    const p = plan({ promote: { timeout: '7m' }, evaluate: { timeout: '45m', heartbeatTimeout: '1m' } });
    assert.equal(stepOptions(p, 'deploy', 'd').startToCloseTimeout, '7m');
    const score = stepOptions(p, 'score', 's');
    assert.equal(score.startToCloseTimeout, '45m');
    assert.equal(score.heartbeatTimeout, '1m');
    const { deploy: _d, score: _s, ...recorded } = p.steps;
    assert.equal(stepOptions({ ...p, steps: recorded as typeof p.steps }, 'deploy', 'd').startToCloseTimeout, '7m');
  });
});
