import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { triggerPolicySchema } from '../../src/config/model-schema.js';
import { decideRetrain, EMPTY_MEMORY, type Evidence, type PolicyMemory } from '../../src/policy/trigger-policy.js';

const NOW = Date.parse('2026-03-15T02:00:00Z');
const DAY = 86_400_000;
const policy = (p: Record<string, unknown> = {}) => triggerPolicySchema.parse(p);

const evidence = (e: Partial<Evidence> = {}): Evidence => ({
  dataUnchanged: false,
  paramsUnchanged: true,
  production: { version: 3, createdAt: new Date(NOW - 2 * DAY).toISOString() },
  drift: { datasetDrift: false, driftedShare: 0.1, datasetShareThreshold: 0.5, driftedColumns: ['tenure'] },
  predictionDrift: null,
  performance: { metric: 'auc', direction: 'maximize', current: 0.8, baseline: 0.82 },
  newRows: 100,
  ...e,
});
const scheduled = { reasons: ['schedule'], force: false, explicit: ['manual', 'business_change'], nowMs: NOW };
const decide = (p: Record<string, unknown>, e: Partial<Evidence>, memory: PolicyMemory = EMPTY_MEMORY, ctx = scheduled) =>
  decideRetrain(policy(p), evidence(e), ctx, memory);

describe('trigger policy', () => {
  it('skips when data and params are unchanged, unless forced', () => {
    const d = decide({}, { dataUnchanged: true });
    assert.equal(d.retrain, false);
    assert.match(d.reason, /unchanged since production v3/);
    assert.equal(decide({}, { dataUnchanged: true }, EMPTY_MEMORY, { ...scheduled, force: true }).retrain, true);
    assert.equal(decide({ skipUnchangedData: false, minNewRows: 0 }, { dataUnchanged: true }).retrain, true);
  });

  it('retrains the first model and explicit requests without consulting the rules', () => {
    assert.match(decide({}, { production: null }).reason, /no production model yet/);
    const manual = decide({}, {}, EMPTY_MEMORY, { ...scheduled, reasons: ['manual'] });
    assert.deepEqual([manual.retrain, manual.reason], [true, 'requested: manual']);
  });

  it('fires on dataset drift and skips below the threshold, with measured values and thresholds', () => {
    const quiet = decide({}, {});
    assert.equal(quiet.retrain, false);
    assert.match(quiet.reason, /no rule fired: 10% of columns drifted \(dataset drift at 50%\)/);
    const drifted = decide({}, { drift: { datasetDrift: true, driftedShare: 0.6, datasetShareThreshold: 0.5, driftedColumns: ['a', 'b', 'c'] } });
    assert.equal(drifted.retrain, true);
    assert.deepEqual(drifted.rules.find((r) => r.rule === 'data_drift'), {
      rule: 'data_drift', fired: true, measured: 0.6, threshold: 0.5, detail: '60% of columns drifted (dataset drift at 50%)',
    });
  });

  it('fires when a watched column drifts even without dataset drift', () => {
    const d = decide({ driftColumns: ['tenure', 'charges'] }, {});
    assert.equal(d.retrain, true);
    assert.match(d.reason, /watched columns drifted: tenure/);
  });

  it('measures the relative drop against the metric production had when promoted', () => {
    // 0.80 vs 0.82 is a 2.4% drop: under a 5% limit, over a 2% one.
    assert.equal(decide({ maxRelativeDrop: 0.05 }, {}).retrain, false);
    const d = decide({ maxRelativeDrop: 0.02 }, {});
    assert.equal(d.retrain, true);
    const rule = d.rules.find((r) => r.rule === 'relative_drop')!;
    assert.ok(Math.abs((rule.measured as number) - 0.02 / 0.82) < 1e-12);
    // For a loss, a rise is the drop.
    const loss = { metric: 'logloss', direction: 'minimize' as const, current: 0.55, baseline: 0.5 };
    assert.equal(decide({ maxRelativeDrop: 0.05 }, { performance: loss }).retrain, true);
  });

  it('fires on an absolute performance floor, new-data volume and model age', () => {
    assert.match(decide({ performanceFloor: 0.85 }, {}).reason, /production auc 0.8 vs floor 0.85/);
    assert.match(decide({ minNewRows: 100 }, {}).reason, /100 new rows since training/);
    assert.equal(decide({ minNewRows: 101 }, {}).retrain, false);
    assert.match(decide({ maxModelAge: '1d' }, {}).reason, /production v3 is 2d old \(max 1d\)/);
    assert.equal(decide({ maxModelAge: '3d' }, {}).retrain, false);
  });

  it('fires on prediction drift only when enabled', () => {
    const predictionDrift = { column: 'score', drifted: true, test: 'wasserstein', statistic: 0.3, threshold: 0.1 };
    assert.equal(decide({}, { predictionDrift }).retrain, false);
    assert.equal(decide({ predictionDrift: true }, { predictionDrift }).retrain, true);
  });

  it('needs N consecutive breaches before firing, and a quiet check resets the count', () => {
    const p = { minNewRows: 50, consecutiveBreaches: 3 };
    const first = decide(p, {});
    assert.deepEqual([first.retrain, first.breaches], [false, 1]);
    assert.match(first.reason, /breach 1 of 3/);
    const second = decide(p, {}, { lastRetrainAt: null, breaches: first.breaches });
    assert.deepEqual([second.retrain, second.breaches], [false, 2]);
    const third = decide(p, {}, { lastRetrainAt: null, breaches: second.breaches });
    assert.deepEqual([third.retrain, third.breaches], [true, 0]);
    assert.equal(decide(p, { newRows: 0 }, { lastRetrainAt: null, breaches: 2 }).breaches, 0);
  });

  it('holds evidence-driven retrains during the cooldown after the last retrain', () => {
    const p = { minNewRows: 50, cooldown: '6h' };
    const recent = { lastRetrainAt: new Date(NOW - 2 * 3_600_000).toISOString(), breaches: 0 };
    const d = decide(p, {}, recent);
    assert.equal(d.retrain, false);
    assert.match(d.reason, /cooldown: last retrain 2h ago, cooldown 6h; would retrain: 100 new rows/);
    assert.equal(decide(p, {}, { lastRetrainAt: new Date(NOW - 7 * 3_600_000).toISOString(), breaches: 0 }).retrain, true);
    // A freshly promoted production model starts the cooldown too, even without controller memory.
    assert.equal(decide(p, { production: { version: 4, createdAt: new Date(NOW - 60_000).toISOString() } }).retrain, false);
    // Explicit requests are not held.
    assert.equal(decide(p, {}, recent, { ...scheduled, reasons: ['manual'] }).retrain, true);
  });

  it('retrains when only the training params changed', () => {
    assert.match(decide({}, { dataUnchanged: true, paramsUnchanged: false }).reason, /params changed/);
  });

  it('rejects invalid policy values with the field named', () => {
    assert.throws(() => policy({ maxRelativeDrop: -0.1 }), /maxRelativeDrop/);
    assert.throws(() => policy({ explicitReasons: ['sometimes'] }), /explicitReasons/);
  });
});
