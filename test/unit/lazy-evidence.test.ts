import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { decideRetrain, EMPTY_MEMORY, planEvidence, type CostlyEvidence, type Evidence, type NotComputed, type PolicyMemory, type TriggerContext } from '../../src/policy/trigger-policy.js';

const NOW = Date.parse('2026-03-15T02:00:00Z');
const DAY = 86_400_000;
const policy = (p: Record<string, unknown> = {}) => triggerPolicySchema.parse(p);
const scheduled: TriggerContext = { reasons: ['schedule'], force: false, explicit: ['manual', 'business_change'], nowMs: NOW };
const ALL: CostlyEvidence[] = ['drift', 'prediction_drift', 'score'];

/** What the check knows before any drift report or score: the costly fields are null. */
const cheap = (e: Partial<Evidence> = {}): Evidence => ({
  dataUnchanged: false,
  paramsUnchanged: true,
  production: { version: 3, createdAt: new Date(NOW - 2 * DAY).toISOString() },
  drift: null,
  predictionDrift: null,
  performance: null,
  newRows: 100,
  ...e,
});

describe('lazy check: the costly evidence only when the decision needs it', () => {
  it('data and params unchanged: nothing costly, and the decision says what was left out', () => {
    const p = policy({ performanceFloor: 0.7, maxRelativeDrop: 0.05 });
    const e = cheap({ dataUnchanged: true });
    const plan = planEvidence(p, e, scheduled, EMPTY_MEMORY, ALL);
    assert.deepEqual([plan.all, plan.need], [false, []]);
    assert.match(plan.decidedBy!, /data and params unchanged since production v3/);
    const notComputed: NotComputed[] = [{ what: 'score', why: plan.decidedBy!, kind: 'decided' }];
    const d = decideRetrain(p, { ...e, notComputed }, scheduled, EMPTY_MEMORY);
    assert.equal(d.retrain, false);
    assert.deepEqual(d.notComputed, notComputed);
  });

  it('forced runs, first models, explicit requests and params changes compute everything, as before', () => {
    const p = policy({ performanceFloor: 0.7 });
    assert.equal(planEvidence(p, cheap({ dataUnchanged: true }), { ...scheduled, force: true }, EMPTY_MEMORY, ALL).all, true);
    assert.equal(planEvidence(p, cheap({ production: null }), scheduled, EMPTY_MEMORY, ALL).all, true);
    assert.equal(planEvidence(p, cheap(), { ...scheduled, reasons: ['manual'] }, EMPTY_MEMORY, ALL).all, true);
    assert.equal(planEvidence(p, cheap({ dataUnchanged: true, paramsUnchanged: false }), scheduled, EMPTY_MEMORY, ALL).all, true);
  });

  it('changed data with a performance rule: the score is needed (performance drop keeps its numbers)', () => {
    const plan = planEvidence(policy({ maxRelativeDrop: 0.05 }), cheap(), scheduled, EMPTY_MEMORY, ['score']);
    assert.deepEqual([plan.all, plan.need], [false, ['score']]);
  });

  it('cooldown with one breach enough decides a skip whatever fires; with more breaches needed the count matters, so it computes', () => {
    const recent: PolicyMemory = { lastRetrainAt: new Date(NOW - 60_000).toISOString(), breaches: 0 };
    const one = planEvidence(policy({ cooldown: '1h', performanceFloor: 0.7 }), cheap(), scheduled, recent, ALL);
    assert.deepEqual([one.all, one.need], [false, []]);
    const d = decideRetrain(policy({ cooldown: '1h', performanceFloor: 0.7 }), { ...cheap(), notComputed: [{ what: 'score', why: one.decidedBy!, kind: 'decided' }] }, scheduled, recent);
    assert.equal(d.retrain, false);
    assert.match(d.reason, /^cooldown: last retrain 60s ago, cooldown 1h; evidence rules not evaluated/);
    const three = planEvidence(policy({ cooldown: '1h', consecutiveBreaches: 3, performanceFloor: 0.7 }), cheap(), scheduled, recent, ALL);
    assert.deepEqual(three.need, ALL);
  });

  it('a cheap rule that fired decides: breach counting or cooldown skip without a score, a retrain with everything', () => {
    const old = cheap({ production: { version: 3, createdAt: new Date(NOW - 40 * DAY).toISOString() } });
    const counting = planEvidence(policy({ maxModelAge: '30d', consecutiveBreaches: 3, performanceFloor: 0.7 }), old, scheduled, EMPTY_MEMORY, ALL);
    assert.deepEqual([counting.all, counting.need], [false, []]);
    assert.match(counting.decidedBy!, /breach 1 of 3 needed: production v3 is 40d old/);
    assert.equal(planEvidence(policy({ maxModelAge: '30d', performanceFloor: 0.7 }), old, scheduled, EMPTY_MEMORY, ALL).all, true);
  });

  it('no configured rule reads costly evidence: the cheap rules decide alone', () => {
    const quiet = planEvidence(policy({ dataDrift: false, minNewRows: 1000 }), cheap(), scheduled, EMPTY_MEMORY, []);
    assert.deepEqual([quiet.all, quiet.need], [false, []]);
    assert.match(quiet.decidedBy!, /no rule fired/);
  });

  it('never changes a decision: random policies, evidence and memory decide alike with and without the costly evidence it left out', () => {
    // Seeded PRNG (mulberry32), so a failure is reproducible.
    let seed = 20261201;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    let decided = 0;
    for (let i = 0; i < 5000; i++) {
      const p = policy({
        cooldown: pick(['0s', '1h', '3d']),
        consecutiveBreaches: pick([1, 1, 2, 3]),
        skipUnchangedData: rand() < 0.8,
        dataDrift: rand() < 0.6,
        driftColumns: rand() < 0.3 ? ['tenure'] : [],
        predictionDrift: rand() < 0.3,
        ...(rand() < 0.5 ? { performanceFloor: 0.7 } : {}),
        ...(rand() < 0.5 ? { maxRelativeDrop: 0.05 } : {}),
        ...(rand() < 0.4 ? { minNewRows: 500 } : {}),
        ...(rand() < 0.4 ? { maxModelAge: '30d' } : {}),
      });
      const e = cheap({
        dataUnchanged: rand() < 0.5,
        paramsUnchanged: rand() < 0.85,
        production: rand() < 0.9 ? { version: 3, createdAt: new Date(NOW - pick([0.01, 1, 10, 40]) * DAY).toISOString() } : null,
        newRows: pick([0, 100, 1000]),
        ...(rand() < 0.2 ? { inputsUnchanged: false, inputsChanged: ['params.yaml'] } : {}),
      });
      const memory: PolicyMemory = { lastRetrainAt: rand() < 0.5 ? new Date(NOW - pick([0.001, 0.5, 5]) * DAY).toISOString() : null, breaches: pick([0, 1, 2]) };
      const ctx: TriggerContext = { ...scheduled, force: rand() < 0.1, reasons: [pick(['schedule', 'schedule', 'new_data', 'manual'])] };
      const usable = ALL.filter(() => rand() < 0.7);
      const plan = planEvidence(p, e, ctx, memory, usable);
      // Whatever the costly evidence would have said: every combination of fired and quiet.
      for (const fires of [false, true]) {
        const full: Evidence = {
          ...e,
          drift: usable.includes('drift') ? { datasetDrift: fires, driftedShare: fires ? 0.9 : 0.1, datasetShareThreshold: 0.5, driftedColumns: fires ? ['tenure'] : [] } : null,
          predictionDrift: usable.includes('prediction_drift') ? { column: 'p', drifted: fires, test: 'ks', statistic: 0.01, threshold: 0.05 } : null,
          performance: usable.includes('score') ? { metric: 'auc', direction: 'maximize', current: fires ? 0.5 : 0.9, baseline: 0.85 } : null,
        };
        const eager = decideRetrain(p, full, ctx, memory);
        if (plan.all || plan.need.length) continue; // computed: the decision sees the real numbers
        decided++;
        const lazy = decideRetrain(p, { ...e, notComputed: usable.map((what) => ({ what, why: plan.decidedBy!, kind: 'decided' as const })) }, ctx, memory);
        const counted = (b: number) => (p.consecutiveBreaches <= 1 ? 0 : b);
        assert.equal(lazy.retrain, eager.retrain, `case ${i}: ${eager.reason} vs ${lazy.reason}`);
        assert.equal(counted(lazy.breaches), counted(eager.breaches), `case ${i}: breaches`);
        assert.equal(lazy.retrain, false, 'evidence is left out only for skips');
      }
    }
    assert.ok(decided > 1000, `enough skips decided without costly evidence (${decided})`);
  });
});
