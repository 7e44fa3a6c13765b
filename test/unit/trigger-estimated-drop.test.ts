import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelSchema, triggerPolicySchema } from '../../src/config/model-schema.js';
import { decideRetrain, EMPTY_MEMORY, evaluateRules, type Evidence } from '../../src/policy/trigger-policy.js';

const NOW = Date.parse('2026-03-15T02:00:00Z');
const policy = (p: Record<string, unknown> = {}) => triggerPolicySchema.parse({ dataDrift: false, ...p });
const evidence = (estimate?: Evidence['estimate']): Evidence => ({
  dataUnchanged: false,
  paramsUnchanged: true,
  production: { version: 3, createdAt: new Date(NOW - 86_400_000).toISOString() },
  drift: null,
  predictionDrift: null,
  performance: null,
  newRows: 0,
  ...(estimate ? { estimate } : {}),
});
const ctx = { reasons: ['schedule'], force: false, explicit: ['manual'], nowMs: NOW };
const est = (value: number) => ({ metric: 'roc_auc', value, lower: value - 0.02, upper: value + 0.02, reference: 0.9 });

describe('trigger rule estimatedDrop', () => {
  it('fires when the estimate falls more than maxRelativeDrop below the reference, recording value, band and threshold', () => {
    const p = policy({ estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.05 } });
    const [r] = evaluateRules(p, evidence(est(0.81)), NOW);
    assert.equal(r!.rule, 'estimated_drop');
    assert.equal(r!.fired, true);
    assert.ok(Math.abs((r!.measured as number) - 0.1) < 1e-12);
    assert.equal(r!.threshold, 0.05);
    assert.deepEqual(r!.band, { lower: 0.81 - 0.02, upper: 0.81 + 0.02 });
    assert.match(r!.detail, /estimated roc_auc 0\.81 \(band 0\.79–0\.83\) is 10% below the reference's 0\.9 \(limit 5%\)/);
    const d = decideRetrain(p, evidence(est(0.81)), ctx, EMPTY_MEMORY);
    assert.equal(d.retrain, true);
    assert.match(d.reason, /estimated roc_auc/);
  });

  it('stays quiet within the limit and says so', () => {
    const p = policy({ estimatedDrop: { metric: 'roc_auc', maxRelativeDrop: 0.05 } });
    const d = decideRetrain(p, evidence(est(0.88)), ctx, EMPTY_MEMORY);
    assert.equal(d.retrain, false);
    assert.equal(d.rules[0]!.fired, false);
    assert.match(d.reason, /no rule fired: estimated roc_auc 0\.88/);
  });

  it('an absolute floor fires below it, and both limits are evaluated when both are set', () => {
    const p = policy({ estimatedDrop: { metric: 'accuracy', floor: 0.85, maxRelativeDrop: 0.5 } });
    const rules = evaluateRules(p, evidence({ ...est(0.84), metric: 'accuracy' }), NOW);
    assert.deepEqual(rules.map((r) => [r.rule, r.fired, r.measured, r.threshold]), [
      ['estimated_drop', false, (0.9 - 0.84) / 0.9, 0.5],
      ['estimated_floor', true, 0.84, 0.85],
    ]);
  });

  it('is not evaluated without an estimate (older results) or without the rule', () => {
    assert.deepEqual(evaluateRules(policy({ estimatedDrop: { floor: 0.8 } }), evidence(), NOW), []);
    assert.deepEqual(evaluateRules(policy(), evidence(est(0.1)), NOW), []);
  });

  it('config: needs a limit, a known metric, and a probability column under estimate', () => {
    assert.throws(() => policy({ estimatedDrop: { metric: 'roc_auc' } }), /set maxRelativeDrop, floor or both/);
    assert.throws(() => policy({ estimatedDrop: { metric: 'auc', floor: 0.8 } }));
    assert.equal(policy({ estimatedDrop: { floor: 0.8 } }).estimatedDrop!.metric, 'roc_auc');
    const base = { data: { current: 'x.csv', evaluation: 'e.csv', target: 'y' }, train: { command: ['true'] }, evaluate: { command: ['true'] }, promotion: { metric: 'auc' } };
    assert.deepEqual(modelSchema.parse({ ...base, estimate: { proba: 'score' } }).estimate, { proba: 'score', threshold: 0.5 });
    assert.equal(modelSchema.safeParse({ ...base, estimate: { pred: 'p' } }).success, false);
    const orphan = modelSchema.safeParse({ ...base, trigger: { estimatedDrop: { floor: 0.8 } } });
    assert.equal(orphan.success, false);
    assert.match(JSON.stringify(orphan.error?.issues), /trigger.*estimatedDrop.*needs the model's estimate/);
  });
});
