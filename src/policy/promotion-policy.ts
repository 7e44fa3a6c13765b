import type { PromotionPolicyConfig } from '../config/model-schema.js';

export type Metrics = Record<string, number>;

export interface PromotionDecision {
  promote: boolean;
  /** One line a person can read: "rejected: auc 0.801 vs production 0.812 (-0.011)". */
  reason: string;
  metric: string;
  candidate: number | null;
  production: number | null;
}

const fmt = (x: number) => Number(x.toFixed(4)).toString();
const signed = (x: number) => (x >= 0 ? `+${fmt(x)}` : fmt(x));

/**
 * Champion/challenger on the primary metric. Pure, so the workflow can call it and the
 * decision is part of its deterministic history. A candidate must beat production strictly.
 */
export function decidePromotion(policy: PromotionPolicyConfig, candidate: Metrics, production: Metrics | null): PromotionDecision {
  const { metric } = policy;
  const better = policy.direction === 'maximize' ? 1 : -1;
  const cand = candidate[metric];
  const prod = production?.[metric];
  const base = { metric, candidate: cand ?? null, production: prod ?? null };
  if (cand === undefined) return { ...base, promote: false, reason: `rejected: the candidate reported no "${metric}" metric` };
  if (policy.floor !== undefined && (cand - policy.floor) * better < 0) {
    return { ...base, promote: false, reason: `rejected: ${metric} ${fmt(cand)} misses the floor ${fmt(policy.floor)}` };
  }
  if (!production) {
    return { ...base, promote: true, reason: `promoted: first model, ${metric} ${fmt(cand)}${policy.floor !== undefined ? ` clears the floor ${fmt(policy.floor)}` : ''}` };
  }
  if (prod === undefined) return { ...base, promote: true, reason: `promoted: production has no "${metric}" to compare with` };
  const gain = (cand - prod) * better;
  const relative = prod === 0 ? (gain > 0 ? Infinity : 0) : gain / Math.abs(prod);
  const versus = `${metric} ${fmt(cand)} vs production ${fmt(prod)} (${signed(cand - prod)})`;
  if (gain <= 0) return { ...base, promote: false, reason: `rejected: ${versus}, not better` };
  if (gain < policy.minImprovement) {
    return { ...base, promote: false, reason: `rejected: ${versus}, below the minimum improvement ${fmt(policy.minImprovement)}` };
  }
  if (relative < policy.minRelativeImprovement) {
    return { ...base, promote: false, reason: `rejected: ${versus}, below the minimum relative improvement ${fmt(policy.minRelativeImprovement * 100)}%` };
  }
  return { ...base, promote: true, reason: `promoted: ${versus}` };
}
