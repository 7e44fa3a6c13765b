import type { PromotionPolicyConfig } from '../config/model-schema.js';
import type { PairedComparison } from '../stats/paired.js';

import type { Metrics } from '../runner/contract.js';

export type { Metrics };

export interface PromotionDecision {
  promote: boolean;
  /** One line a person can read: "rejected: auc +0.004, 95% CI [-0.002, 0.010] includes 0". */
  reason: string;
  metric: string;
  candidate: number | null;
  production: number | null;
  /** The paired test's numbers, when the policy asked for one. */
  comparison?: PairedComparison | null;
}

const fmt = (x: number) => Number(x.toFixed(4)).toString();
const signed = (x: number) => (x >= 0 ? `+${fmt(x)}` : fmt(x));
const pct = (level: number) => `${fmt((1 - level) * 100)}%`;

/** "auc +0.004, 95% CI [-0.002, 0.01]" or "accuracy +0.012, McNemar p=0.03 (41 vs 23 discordant)". */
export function describeComparison(c: PairedComparison): string {
  if (c.test === 'mcnemar') {
    return `${c.metric} ${signed(c.gain)}, McNemar p=${c.pValue === null ? 'n/a' : c.pValue.toPrecision(2)} (${c.discordant!.candidateOnly} vs ${c.discordant!.productionOnly} discordant)`;
  }
  return `${c.metric} ${signed(c.gain)}, ${pct(c.level)} CI [${fmt(c.ci![0])}, ${fmt(c.ci![1])}]`;
}

/**
 * Champion/challenger. Pure, so the workflow can call it and the decision is part of its
 * deterministic history. Order: metric present → floor → first model → guards → improvement
 * (point estimate, or the paired test when `significance` is configured).
 */
export function decidePromotion(
  policy: PromotionPolicyConfig,
  candidate: Metrics,
  production: Metrics | null,
  comparison: PairedComparison | null = null,
): PromotionDecision {
  const { metric } = policy;
  const better = policy.direction === 'maximize' ? 1 : -1;
  const cand = candidate[metric];
  const prod = production?.[metric];
  const base = { metric, candidate: cand ?? null, production: prod ?? null, comparison };
  const reject = (reason: string): PromotionDecision => ({ ...base, promote: false, reason: `rejected: ${reason}` });
  const accept = (reason: string): PromotionDecision => ({ ...base, promote: true, reason: `promoted: ${reason}` });
  if (cand === undefined) return reject(`the candidate reported no "${metric}" metric`);
  if (policy.floor !== undefined && (cand - policy.floor) * better < 0) return reject(`${metric} ${fmt(cand)} misses the floor ${fmt(policy.floor)}`);
  if (!production) return accept(`first model, ${metric} ${fmt(cand)}${policy.floor !== undefined ? ` clears the floor ${fmt(policy.floor)}` : ''}`);
  if (prod === undefined) return accept(`production has no "${metric}" to compare with`);

  for (const [name, guard] of Object.entries(policy.guards ?? {})) {
    const c = candidate[name];
    const p = production[name];
    if (c === undefined) return reject(`guard metric "${name}" missing from the candidate`);
    if (p === undefined) continue;
    const loss = (p - c) * (guard.direction === 'maximize' ? 1 : -1);
    if (loss > guard.maxRegression) return reject(`guard ${name} ${fmt(c)} vs production ${fmt(p)} regresses by ${fmt(loss)} (allowed ${fmt(guard.maxRegression)})`);
  }

  const gain = (cand - prod) * better;
  const versus = `${metric} ${fmt(cand)} vs production ${fmt(prod)} (${signed(cand - prod)})`;
  const sig = policy.significance;
  if (sig?.require === 'not_worse') {
    // A data-refresh retrain need not win; it must not be significantly worse than production.
    if (!comparison) return reject(`${versus}; significance required but no paired comparison was made`);
    return significantlyWorse(comparison, sig.margin)
      ? reject(`${describeComparison(comparison)}: significantly worse than production`)
      : accept(`${describeComparison(comparison)}: not significantly worse than production`);
  }
  if (gain <= 0) return reject(`${versus}, not better`);
  if (gain < policy.minImprovement) return reject(`${versus}, below the minimum improvement ${fmt(policy.minImprovement)}`);
  const relative = prod === 0 ? Infinity : gain / Math.abs(prod);
  if (relative < policy.minRelativeImprovement) {
    return reject(`${versus}, below the minimum relative improvement ${fmt(policy.minRelativeImprovement * 100)}%`);
  }
  if (sig) {
    if (!comparison) return reject(`${versus}; significance required but no paired comparison was made`);
    if (!significantlyBetter(comparison)) {
      const why = comparison.test === 'bootstrap' ? 'includes 0' : `is not below ${comparison.level}`;
      return reject(`${describeComparison(comparison)} ${why}: the improvement may be noise`);
    }
    return accept(`${describeComparison(comparison)}, significant`);
  }
  return accept(versus);
}

function significantlyBetter(c: PairedComparison): boolean {
  if (c.test === 'bootstrap') return c.ci !== null && c.ci[0] > 0;
  return c.pValue !== null && c.pValue < c.level && c.gain > 0;
}

function significantlyWorse(c: PairedComparison, margin: number): boolean {
  if (c.test === 'bootstrap') return c.ci !== null && c.ci[1] < -margin;
  return c.pValue !== null && c.pValue < c.level && c.gain < -margin;
}
