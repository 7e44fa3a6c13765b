import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { BUDGET_WINDOW_ENTRIES, budgetState, rememberBudgetEntry, type BudgetEntry } from '../../src/policy/retrain-budget.js';
import { decideRetrain, EMPTY_MEMORY, planEvidence, type Evidence, type PolicyMemory } from '../../src/policy/trigger-policy.js';

const NOW = Date.parse('2026-03-15T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
const run = (agoMs: number, trainingMs = HOUR, candidate = true): BudgetEntry => ({ at: iso(NOW - agoMs), trainingMs, candidate });
const policy = (p: Record<string, unknown>) => triggerPolicySchema.parse(p);

const evidence: Evidence = {
  dataUnchanged: false,
  paramsUnchanged: true,
  production: { version: 3, createdAt: iso(NOW - 2 * DAY) },
  drift: { datasetDrift: true, driftedShare: 0.8, datasetShareThreshold: 0.5, driftedColumns: ['tenure'] },
  predictionDrift: null,
  performance: null,
  newRows: 100,
};
const ctx = { reasons: ['schedule'], force: false, explicit: ['manual'], nowMs: NOW };
const memory = (budget: BudgetEntry[]): PolicyMemory => ({ ...EMPTY_MEMORY, budget });

describe('retrain budget', () => {
  const three = { maxRetrains: 3, per: '7d' };

  it('counts retrains in the window (now - per, now]: a run exactly `per` ago has left it', () => {
    const inside = budgetState(three, [run(7 * DAY - 1), run(2 * DAY), run(HOUR)], NOW);
    assert.equal(inside.over, true);
    assert.equal(inside.summary, '3 retrains in the last 7d');
    // The oldest of the three leaves one millisecond from now.
    assert.equal(inside.freesAt, iso(NOW + 1));
    const edge = budgetState(three, [run(7 * DAY), run(2 * DAY), run(HOUR)], NOW);
    assert.equal(edge.over, false);
    assert.equal(edge.freesAt, null);
    assert.deepEqual(edge.rules.map((r) => [r.rule, r.fired, r.measured, r.threshold]), [['retrain_budget', false, 2, 3]]);
  });

  it('frees when enough runs have left for one more to fit, not when the first leaves', () => {
    // Five in the window with a budget of three: the third oldest must leave.
    const s = budgetState(three, [run(6 * DAY), run(5 * DAY), run(4 * DAY), run(3 * DAY), run(DAY)], NOW);
    assert.equal(s.over, true);
    assert.equal(s.summary, '5 retrains in the last 7d');
    assert.equal(s.freesAt, iso(NOW - 4 * DAY + 7 * DAY));
  });

  it('counts only runs that trained a candidate toward maxRetrains, and every run toward training time', () => {
    const failed = [run(DAY, 3 * HOUR, false), run(2 * DAY, 3 * HOUR, false), run(3 * DAY, 3 * HOUR, false)];
    assert.equal(budgetState(three, failed, NOW).over, false);
    const timed = budgetState({ per: '7d', maxTrainingTime: '4h' }, failed, NOW);
    assert.equal(timed.over, true);
    assert.deepEqual(timed.rules.map((r) => [r.rule, r.fired, r.measured, r.threshold]), [['training_time_budget', true, '9h', '4h']]);
  });

  it('frees a training-time budget when the sum of the runs left in the window is below it', () => {
    // 2h + 2h + 1h = 5h against 4h: the 2h run from 6 days ago must leave (3h < 4h), then it fits.
    const s = budgetState({ per: '7d', maxTrainingTime: '4h' }, [run(6 * DAY, 2 * HOUR), run(3 * DAY, 2 * HOUR), run(DAY, HOUR)], NOW);
    assert.equal(s.over, true);
    assert.equal(s.summary, '5h of training in the last 7d (budget 4h)');
    assert.equal(s.freesAt, iso(NOW + DAY));
    assert.equal(budgetState({ per: '7d', maxTrainingTime: '4h' }, [run(DAY, 3 * HOUR + 59 * 60_000)], NOW).over, false);
  });

  it('when both budgets are over, frees when both have freed', () => {
    const s = budgetState({ maxRetrains: 1, per: '1d', maxTrainingTime: '1h' }, [run(20 * HOUR, 30 * 60_000), run(2 * HOUR, 30 * 60_000)], NOW);
    assert.equal(s.over, true);
    assert.match(s.summary, /^2 retrains in the last 1d and 1h of training/);
    // Time frees when the 20h-old run leaves (in 4h, 30m < 1h); the count of one needs both gone (in 22h): the later.
    assert.equal(s.freesAt, iso(NOW + 22 * HOUR));
    const later = budgetState({ maxRetrains: 2, per: '1d', maxTrainingTime: '1h' }, [run(20 * HOUR, 10 * 60_000), run(2 * HOUR, 60 * 60_000)], NOW);
    assert.equal(later.freesAt, iso(NOW + 22 * HOUR), 'the 1h run itself must leave for the time budget');
  });

  it('a trigger over budget is decided skipped with the frees-at time, the budget recorded like every rule', () => {
    const p = policy({ budget: three });
    const window = [run(3 * DAY), run(2 * DAY), run(DAY)];
    const d = decideRetrain(p, evidence, ctx, memory(window));
    assert.equal(d.retrain, false);
    assert.equal(d.reason, `budget: 3 retrains in the last 7d; frees at ${iso(NOW + 4 * DAY)}`);
    const rule = d.rules.find((r) => r.rule === 'retrain_budget');
    assert.deepEqual(rule && [rule.fired, rule.measured, rule.threshold], [true, 3, 3]);
    assert.ok(d.rules.some((r) => r.rule === 'data_drift' && r.fired), 'the evidence rules are still recorded');
    // Under budget the same evidence retrains, and the budget rule is recorded as not fired.
    const under = decideRetrain(p, evidence, ctx, memory(window.slice(1)));
    assert.equal(under.retrain, true);
    assert.equal(under.rules.find((r) => r.rule === 'retrain_budget')?.fired, false);
    // Explicit requests are budgeted too; only force overrides.
    assert.equal(decideRetrain(p, evidence, { ...ctx, reasons: ['manual'] }, memory(window)).retrain, false);
  });

  it('a forced trigger retrains over budget and its reason says it overrode the budget', () => {
    const d = decideRetrain(policy({ budget: three }), evidence, { ...ctx, force: true, reasons: ['manual'] }, memory([run(3 * DAY), run(2 * DAY), run(DAY)]));
    assert.equal(d.retrain, true);
    assert.equal(d.reason, `forced retrain (manual); overrode budget: 3 retrains in the last 7d (frees at ${iso(NOW + 4 * DAY)})`);
  });

  it('a budget skip keeps the breach count, so the retrain happens at the first check after it frees', () => {
    const p = policy({ budget: { maxRetrains: 1, per: '1d' }, consecutiveBreaches: 2 });
    const d = decideRetrain(p, evidence, ctx, { lastRetrainAt: null, breaches: 1, budget: [run(HOUR)] });
    assert.deepEqual([d.retrain, d.breaches], [false, 2]);
    const freed = decideRetrain(p, evidence, { ...ctx, nowMs: NOW + DAY }, { lastRetrainAt: null, breaches: d.breaches, budget: [run(HOUR)] });
    assert.equal(freed.retrain, true);
  });

  it('without a budget nothing changes, and a skip stays the rule that decided it', () => {
    const d = decideRetrain(policy({}), evidence, ctx, memory([run(HOUR), run(2 * HOUR)]));
    assert.equal(d.retrain, true);
    assert.ok(!d.rules.some((r) => r.rule.endsWith('budget')));
    const unchanged = decideRetrain(policy({ budget: three }), { ...evidence, dataUnchanged: true }, ctx, memory([run(3 * DAY), run(2 * DAY), run(DAY)]));
    assert.match(unchanged.reason, /^data and params unchanged/);
  });

  it('keeps the newest entries, bounded', () => {
    let w: BudgetEntry[] = [];
    for (let i = 0; i < BUDGET_WINDOW_ENTRIES + 5; i++) w = rememberBudgetEntry(w, run(-i));
    assert.equal(w.length, BUDGET_WINDOW_ENTRIES);
    assert.equal(w.at(-1)!.at, iso(NOW + BUDGET_WINDOW_ENTRIES + 4));
  });

  it('the schema wants a limit and caps maxRetrains below the remembered window', () => {
    assert.throws(() => policy({ budget: { per: '7d' } }), /set maxRetrains, maxTrainingTime or both/);
    assert.throws(() => policy({ budget: { maxRetrains: BUDGET_WINDOW_ENTRIES + 1 } }));
    assert.equal(policy({ budget: { maxRetrains: 3 } }).budget?.per, '7d');
  });

  it('over budget, the lazy check computes no costly evidence and the decision names the budget, not the cheap rules', () => {
    const p = policy({ budget: three });
    const window = [run(3 * DAY), run(2 * DAY), run(DAY)];
    const cheap: Evidence = { ...evidence, drift: null };
    const plan = planEvidence(p, cheap, ctx, memory(window), ['drift']);
    const reason = `budget: 3 retrains in the last 7d; frees at ${iso(NOW + 4 * DAY)}`;
    assert.deepEqual(plan, { all: false, need: [], decidedBy: reason });
    // What the check then hands the decision: no drift, and why.
    const d = decideRetrain(p, { ...cheap, notComputed: [{ what: 'drift', why: plan.decidedBy!, kind: 'decided' }] }, ctx, memory(window));
    assert.deepEqual([d.retrain, d.reason], [false, reason]);
    // Under budget, or forced, the plan is what it is without a budget.
    assert.deepEqual(planEvidence(p, cheap, ctx, memory(window.slice(1)), ['drift']), planEvidence(policy({}), cheap, ctx, EMPTY_MEMORY, ['drift']));
    assert.deepEqual(planEvidence(p, cheap, { ...ctx, force: true }, memory(window), ['drift']), { all: true, need: [] });
    // A skip the cheap evidence decides keeps its own reason.
    const unchanged = planEvidence(p, { ...cheap, dataUnchanged: true }, ctx, memory(window), ['drift']);
    assert.match(unchanged.decidedBy!, /^data and params unchanged/);
  });
});
