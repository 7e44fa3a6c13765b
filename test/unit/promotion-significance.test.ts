import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { promotionSchema } from '../../src/config/schema.js';
import { decidePromotion } from '../../src/policy/promotion-policy.js';
import { binomialTwoSided, mcnemar, pairedBootstrap, scoreOrder, seededRandom, weightedAuc, type PairedOutputs } from '../../src/stats/paired.js';

/** A binary task where the label follows a latent score; each model sees it through its own noise. */
function simulate(n: number, candidateNoise: number, productionNoise: number, seed: number): PairedOutputs {
  const rand = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const label = new Float64Array(n);
  const c = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = gauss();
    label[i] = z + 0.5 * gauss() > 0 ? 1 : 0;
    c[i] = 1 / (1 + Math.exp(-(z + candidateNoise * gauss())));
    p[i] = 1 / (1 + Math.exp(-(z + productionNoise * gauss())));
  }
  const hard = (s: Float64Array) => s.map((x) => (x >= 0.5 ? 1 : 0));
  return { label, candidateScore: c, productionScore: p, candidatePrediction: hard(c), productionPrediction: hard(p) };
}

const auc = (d: PairedOutputs, which: 'candidateScore' | 'productionScore') =>
  weightedAuc(d.label, d[which], new Float64Array(d.label.length).fill(1), scoreOrder(d[which]));

describe('paired statistics', () => {
  it('exact binomial p-values agree with scipy.stats.binomtest', () => {
    // Reference values: scipy.stats.binomtest(k, n, 0.5).pvalue (scipy 1.16).
    assert.ok(Math.abs(binomialTwoSided(3, 20) - 0.0025768280029296875) < 1e-12);
    assert.ok(Math.abs(binomialTwoSided(41, 105) - 0.031301784575540004) / 0.0313 < 1e-9);
    assert.ok(Math.abs(binomialTwoSided(480, 1000) - 0.2174482932041415) / 0.217 < 1e-9);
    assert.equal(binomialTwoSided(0, 1), 1);
    assert.equal(binomialTwoSided(0, 0), 1);
  });

  it('weighted AUC agrees with sklearn roc_auc_score (with ties and sample weights)', () => {
    const y = Float64Array.from([0, 0, 1, 1, 0, 1, 0, 1, 1, 0]);
    const s = Float64Array.from([0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.7, 0.6]);
    const ones = new Float64Array(10).fill(1);
    assert.ok(Math.abs(weightedAuc(y, s, ones, scoreOrder(s)) - 0.8) < 1e-12);
    const w = Float64Array.from([1, 2, 0, 1, 1, 3, 1, 1, 2, 1]);
    assert.ok(Math.abs(weightedAuc(y, s, w, scoreOrder(s)) - 0.9404761904761906) < 1e-12);
  });

  it('McNemar counts the discordant pairs', () => {
    const d = simulate(2000, 0.3, 1.5, 7);
    const m = mcnemar(d, 'accuracy', 0.05);
    assert.ok(m.discordant!.candidateOnly > m.discordant!.productionOnly);
    assert.ok(m.pValue! < 0.05);
    assert.ok(Math.abs(m.pValue! - binomialTwoSided(m.discordant!.productionOnly, m.discordant!.candidateOnly + m.discordant!.productionOnly)) < 1e-15);
  });
});

describe('promotion policy with significance and guards', () => {
  const base = promotionSchema.parse({ metric: 'auc', significance: { resamples: 1000, seed: 11 } });

  it('rejects a candidate that is better only by noise, and says the interval includes 0', () => {
    const d = simulate(400, 1.0, 1.0, 3); // the same model quality on both sides
    const cmp = pairedBootstrap(d, 'auc', 'maximize', base.significance!);
    // Force a (noise) point improvement so the significance test is what decides.
    const prod = auc(d, 'productionScore');
    const decision = decidePromotion(base, { auc: prod + Math.abs(cmp.gain) + 1e-6 }, { auc: prod }, cmp);
    assert.equal(decision.promote, false, decision.reason);
    assert.match(decision.reason, /^rejected: auc [+-][\d.]+, 95% CI \[-?[\d.]+, -?[\d.]+\] includes 0: the improvement may be noise$/);
  });

  it('promotes a clearly better candidate', () => {
    const d = simulate(2000, 0.2, 2.0, 5);
    const cmp = pairedBootstrap(d, 'auc', 'maximize', base.significance!);
    const decision = decidePromotion(base, { auc: auc(d, 'candidateScore') }, { auc: auc(d, 'productionScore') }, cmp);
    assert.equal(decision.promote, true, decision.reason);
    assert.ok(cmp.ci![0] > 0);
    assert.match(decision.reason, /significant$/);
  });

  it('gives the same decision and interval for the same seed', () => {
    const d = simulate(500, 0.8, 1.0, 9);
    const a = pairedBootstrap(d, 'auc', 'maximize', base.significance!);
    const b = pairedBootstrap(d, 'auc', 'maximize', base.significance!);
    assert.deepEqual(a, b);
    const c = pairedBootstrap(d, 'auc', 'maximize', { ...base.significance!, seed: 12 });
    assert.notDeepEqual(a.ci, c.ci);
  });

  it('McNemar decides accuracy-like comparisons', () => {
    const policy = promotionSchema.parse({ metric: 'accuracy', significance: { test: 'mcnemar' } });
    const clear = simulate(3000, 0.2, 2.0, 5);
    const m = mcnemar(clear, 'accuracy', 0.05);
    assert.equal(decidePromotion(policy, { accuracy: 0.9 }, { accuracy: 0.8 }, m).promote, true);
    const noise = mcnemar(simulate(300, 1, 1, 4), 'accuracy', 0.05);
    const d = decidePromotion(policy, { accuracy: 0.81 }, { accuracy: 0.8 }, noise);
    assert.equal(d.promote, false);
    assert.match(d.reason, /McNemar p=/);
  });

  it('rejects a guard-metric regression even when the primary metric improves', () => {
    const policy = promotionSchema.parse({ metric: 'auc', guards: { recall: { maxRegression: 0.02 }, latency_ms: { direction: 'minimize', maxRegression: 5 } } });
    const ok = decidePromotion(policy, { auc: 0.85, recall: 0.7, latency_ms: 12 }, { auc: 0.8, recall: 0.71, latency_ms: 10 });
    assert.equal(ok.promote, true, ok.reason);
    const recall = decidePromotion(policy, { auc: 0.85, recall: 0.6, latency_ms: 10 }, { auc: 0.8, recall: 0.71, latency_ms: 10 });
    assert.match(recall.reason, /^rejected: guard recall 0.6 vs production 0.71 regresses by 0.11 \(allowed 0.02\)$/);
    const slow = decidePromotion(policy, { auc: 0.85, recall: 0.71, latency_ms: 30 }, { auc: 0.8, recall: 0.71, latency_ms: 10 });
    assert.match(slow.reason, /guard latency_ms/);
  });

  it('not_worse: a refresh that is not significantly worse is promoted; a significantly worse one is not', () => {
    const policy = promotionSchema.parse({ metric: 'auc', significance: { require: 'not_worse', resamples: 500 } });
    const same = simulate(800, 1.0, 1.0, 21);
    const eq = pairedBootstrap(same, 'auc', 'maximize', policy.significance!);
    assert.equal(decidePromotion(policy, { auc: 0.79 }, { auc: 0.8 }, eq).promote, true);
    const worse = simulate(2000, 2.0, 0.2, 22);
    const w = pairedBootstrap(worse, 'auc', 'maximize', policy.significance!);
    const d = decidePromotion(policy, { auc: 0.7 }, { auc: 0.8 }, w);
    assert.equal(d.promote, false);
    assert.match(d.reason, /significantly worse/);
  });

  it('judges the first model by the floor alone, whatever the significance settings', () => {
    const policy = promotionSchema.parse({ metric: 'auc', floor: 0.7, significance: {} });
    assert.equal(decidePromotion(policy, { auc: 0.75 }, null, null).promote, true);
    assert.equal(decidePromotion(policy, { auc: 0.65 }, null, null).promote, false);
  });
});
