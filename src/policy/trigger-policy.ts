import type { TriggerPolicyConfig } from '../config/model-schema.js';
import { parseDurationMs } from '../duration.js';
import { budgetState, type BudgetEntry, type BudgetRule } from './retrain-budget.js';
import { relativeDrop } from './relative-drop.js';

/** The numbers the check step measured; everything the trigger policy decides from. */
export interface Evidence {
  dataUnchanged: boolean;
  paramsUnchanged: boolean;
  production: { version: number; createdAt: string } | null;
  drift: { datasetDrift: boolean; driftedShare: number; datasetShareThreshold: number; driftedColumns: string[] } | null;
  predictionDrift: { column: string; drifted: boolean; test: string; statistic: number; threshold: number } | null;
  /** The production model's primary metric on today's evaluation data, and the value it had when promoted. */
  performance: { metric: string; direction: 'maximize' | 'minimize'; current: number; baseline: number | null } | null;
  newRows: number;
  /** params.yaml, dvc.lock deps and train.inputs globs equal production's; missing (older results) counts as unchanged. */
  inputsUnchanged?: boolean;
  inputsChanged?: string[];
  /**
   * Performance estimated without labels (CBPE) on current data: the value, its band (±3 sampling errors) and the
   * reference's realised value (production's own score on its labelled evaluation data).
   */
  estimate?: { metric: string; value: number; lower: number; upper: number; reference: number };
  /** Drift per segment (drift.segments), when trigger.segmentDrift is set and the decision needed it. */
  segmentDrift?: SegmentDriftEvidence;
  /** Evidence the check left out, and why (absent in results from before checks were lazy). */
  notComputed?: NotComputed[];
}

/** What the check carries of a per-segment drift report: per tested segment its drifted share and columns. */
export interface SegmentDriftEvidence {
  datasetShareThreshold: number;
  /** Most drifted share first. Values are the data's own (cut at 200 characters): data, never code. */
  segments: { column: string; value: string; refRows: number; curRows: number; driftedShare: number; datasetDrift: boolean; driftedColumns: string[] }[];
  /** Values with enough rows on one side that were not tested (too few on the other, or beyond `top`). */
  notTested: { column: string; value: string; why: string }[];
  /** Tested segments left out to keep the evidence small (the check's segments.json has them). */
  omitted?: number;
  /** Values not tested left out of `notTested` to keep the evidence small (segments.json has them). */
  notTestedOmitted?: number;
}

/**
 * The evidence that costs real work: a drift report over both datasets, scoring production (a child process), or
 * estimating its performance on unlabelled current data (scoring production for its reference predictions, then CBPE).
 */
export type CostlyEvidence = 'drift' | 'prediction_drift' | 'score' | 'estimate' | 'segments';

export interface NotComputed {
  what: CostlyEvidence;
  why: string;
  /**
   * decided: the cheap rules decided a skip, whatever it would have said; unused: no configured
   * rule reads it; unavailable: it cannot be had (no reference data).
   */
  kind: 'decided' | 'unused' | 'unavailable';
}

/** What the check step computes beyond the cheap evidence (fingerprint, production, params, inputs, rows). */
export interface EvidencePlan {
  /** Everything, as eager checks did: forced runs and runs the cheap rules already send to retrain keep their full record. */
  all: boolean;
  /** Otherwise only these, each read by a configured rule while the decision is still open. */
  need: CostlyEvidence[];
  /** When the cheap evidence already decided a skip: that decision's reason. */
  decidedBy?: string;
}

/** What the controller remembers between runs so a noisy metric does not thrash. */
export interface PolicyMemory {
  /** When a run last trained a candidate (promoted or rejected). */
  lastRetrainAt: string | null;
  /** Consecutive checks in which an evidence rule fired without a retrain. */
  breaches: number;
  /** Recent runs that trained, for trigger.budget (bounded, newest last; absent in older controllers). */
  budget?: BudgetEntry[];
}

export const EMPTY_MEMORY: PolicyMemory = { lastRetrainAt: null, breaches: 0 };

export interface RuleResult {
  rule: 'data_drift' | 'column_drift' | 'prediction_drift' | 'performance_floor' | 'relative_drop' | 'estimated_drop' | 'estimated_floor' | 'segment_drift' | 'new_rows' | 'model_age' | BudgetRule['rule'];
  fired: boolean;
  measured: number | string;
  threshold: number | string;
  /** For estimates: the confidence band of the measured value. */
  band?: { lower: number; upper: number };
  detail: string;
}

export interface TriggerDecision {
  retrain: boolean;
  /** One line a person can read; the audit trail and the Web UI show it. */
  reason: string;
  /** Every rule that was evaluated, fired or not, with measured value and threshold. */
  rules: RuleResult[];
  /** The breach count to remember after this decision. */
  breaches: number;
  /** Evidence the check did not compute, and why; absent when everything was computed. */
  notComputed?: NotComputed[];
}

export interface TriggerContext {
  reasons: string[];
  force: boolean;
  /** Trigger reasons that are requests in their own right rather than a prompt to look at the evidence. */
  explicit: string[];
  nowMs: number;
}

const fmt = (x: number) => Number(x.toPrecision(4)).toString();
const ago = (ms: number) => {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
};

/** Evaluates each configured evidence rule; pure, so it runs inside the workflow and replays. */
export function evaluateRules(policy: TriggerPolicyConfig, e: Evidence, nowMs: number): RuleResult[] {
  const rules: RuleResult[] = [];
  if (policy.dataDrift && e.drift) {
    rules.push({
      rule: 'data_drift',
      fired: e.drift.datasetDrift,
      measured: e.drift.driftedShare,
      threshold: e.drift.datasetShareThreshold,
      detail: `${fmt(e.drift.driftedShare * 100)}% of columns drifted (dataset drift at ${fmt(e.drift.datasetShareThreshold * 100)}%)`,
    });
  }
  if (policy.driftColumns.length > 0 && e.drift) {
    const hit = policy.driftColumns.filter((c) => e.drift!.driftedColumns.includes(c));
    rules.push({
      rule: 'column_drift',
      fired: hit.length > 0,
      measured: hit.join(',') || 'none',
      threshold: policy.driftColumns.join(','),
      detail: hit.length ? `watched columns drifted: ${hit.join(', ')}` : `no watched column drifted (${policy.driftColumns.join(', ')})`,
    });
  }
  if (policy.predictionDrift && e.predictionDrift) {
    const p = e.predictionDrift;
    rules.push({
      rule: 'prediction_drift',
      fired: p.drifted,
      measured: p.statistic,
      threshold: p.threshold,
      detail: `${p.column}: ${p.test} ${fmt(p.statistic)} (threshold ${fmt(p.threshold)})`,
    });
  }
  if (e.performance) {
    const { metric, current, baseline, direction } = e.performance;
    const sign = direction === 'maximize' ? 1 : -1;
    if (policy.performanceFloor !== undefined) {
      rules.push({
        rule: 'performance_floor',
        fired: (current - policy.performanceFloor) * sign < 0,
        measured: current,
        threshold: policy.performanceFloor,
        detail: `production ${metric} ${fmt(current)} vs floor ${fmt(policy.performanceFloor)}`,
      });
    }
    if (policy.maxRelativeDrop !== undefined && baseline !== null) {
      const drop = relativeDrop(baseline, current, direction);
      rules.push({
        rule: 'relative_drop',
        fired: drop > policy.maxRelativeDrop,
        measured: drop,
        threshold: policy.maxRelativeDrop,
        detail: `production ${metric} ${fmt(current)} is ${fmt(drop * 100)}% below its promoted ${fmt(baseline)} (limit ${fmt(policy.maxRelativeDrop * 100)}%)`,
      });
    }
  }
  if (policy.estimatedDrop && e.estimate) {
    // Fires on the point estimate, as NannyML alerts; the band is recorded so a reader can see how sure it is.
    // consecutiveBreaches is the guard against a noisy estimate.
    const { metric, value, lower, upper, reference } = e.estimate;
    const band = { lower, upper };
    const within = `band ${fmt(lower)}–${fmt(upper)}`;
    const { maxRelativeDrop, floor } = policy.estimatedDrop;
    if (maxRelativeDrop !== undefined && reference > 0) {
      const drop = (reference - value) / reference;
      rules.push({
        rule: 'estimated_drop',
        fired: drop > maxRelativeDrop,
        measured: drop,
        threshold: maxRelativeDrop,
        band,
        detail: `estimated ${metric} ${fmt(value)} (${within}) is ${fmt(drop * 100)}% below the reference's ${fmt(reference)} (limit ${fmt(maxRelativeDrop * 100)}%)`,
      });
    }
    if (floor !== undefined) {
      rules.push({
        rule: 'estimated_floor',
        fired: value < floor,
        measured: value,
        threshold: floor,
        band,
        detail: `estimated ${metric} ${fmt(value)} (${within}) vs floor ${fmt(floor)}`,
      });
    }
  }
  if (policy.segmentDrift && e.segmentDrift) rules.push(segmentDriftRule(policy.segmentDrift, e.segmentDrift));
  if (policy.minNewRows !== undefined) {
    rules.push({
      rule: 'new_rows',
      fired: e.newRows >= policy.minNewRows,
      measured: e.newRows,
      threshold: policy.minNewRows,
      detail: `${e.newRows} new rows since training (fires at ${policy.minNewRows})`,
    });
  }
  if (policy.maxModelAge !== undefined && e.production) {
    const age = nowMs - Date.parse(e.production.createdAt);
    const max = parseDurationMs(policy.maxModelAge);
    rules.push({
      rule: 'model_age',
      fired: age >= max,
      measured: ago(age),
      threshold: policy.maxModelAge,
      detail: `production v${e.production.version} is ${ago(age)} old (max ${policy.maxModelAge})`,
    });
  }
  return rules;
}

/**
 * trigger.segmentDrift: fires when a watched segment (any, or the listed values of the listed column) has
 * dataset-level drift, i.e. its share of drifted columns reaches `minDriftedShare` (default drift.datasetShare) with
 * at least one drifted column. Measured is the largest share among the watched segments.
 */
export function segmentDriftRule(rule: NonNullable<TriggerPolicyConfig['segmentDrift']>, e: SegmentDriftEvidence): RuleResult {
  const threshold = rule.minDriftedShare ?? e.datasetShareThreshold;
  const watched = e.segments.filter((s) => (rule.column === undefined || s.column === rule.column) && (!rule.segments || rule.segments.includes(s.value)));
  const hit = watched.filter((s) => s.driftedColumns.length > 0 && s.driftedShare >= threshold);
  const max = watched.reduce((m, s) => Math.max(m, s.driftedShare), 0);
  const name = (s: { column: string; value: string }) => `${s.column}=${s.value}`;
  const pct = (x: number) => `${fmt(x * 100)}%`;
  const listed = rule.segments?.filter((v) => !watched.some((s) => s.value === v)) ?? [];
  const unmeasured = listed.length ? `; not measured (too few rows or absent): ${listed.slice(0, 5).join(', ')}${listed.length > 5 ? ` and ${listed.length - 5} more` : ''}` : '';
  const shown = hit.slice(0, 3).map((s) => `${name(s)} ${pct(s.driftedShare)} (${s.driftedColumns.slice(0, 5).join(', ')}${s.driftedColumns.length > 5 ? ', …' : ''})`);
  const best = watched[0];
  return {
    rule: 'segment_drift',
    fired: hit.length > 0,
    measured: max,
    threshold,
    detail: hit.length
      ? `segments drifted (at ${pct(threshold)} of columns): ${shown.join('; ')}${hit.length > 3 ? `; ${hit.length - 3} more` : ''}${unmeasured}`
      : `no segment drifted: ${best ? `largest share ${pct(max)} in ${name(best)}` : 'no segment measured'} of ${watched.length} watched (fires at ${pct(threshold)})${unmeasured}`,
  };
}

/** Why a forced run retrains: what its announcement says before the check's record has the rest (a budget overridden). */
export const forcedRetrainReason = (reasons: readonly string[]): string => `forced retrain (${reasons.join(', ')})`;

/**
 * Retrain or skip, and why. Order: force, unchanged data, first model, explicit requests,
 * then the evidence rules with their memory (consecutive breaches, then cooldown).
 */
export function decideRetrain(policy: TriggerPolicyConfig, e: Evidence, ctx: TriggerContext, memory: PolicyMemory): TriggerDecision {
  const deferred = e.notComputed?.some((n) => n.kind === 'decided') ?? false;
  const byBudget = e.notComputed?.some((n) => n.kind === 'decided' && n.why.startsWith(BUDGET_REASON)) ?? false;
  const decision = applyBudget(policy, ctx, memory, decideFrom(policy, e, ctx, memory, evaluateRules(policy, e, ctx.nowMs), deferred), byBudget);
  return e.notComputed?.length ? { ...decision, notComputed: e.notComputed } : decision;
}

/**
 * trigger.budget, after every other rule: a retrain over budget becomes a skip that says when the
 * budget frees; a forced one retrains and says it overrode it. The budget's rules are recorded
 * (measured, threshold) whether or not they fired. A budget skip keeps the breach count the
 * evidence rules reached, so the retrain they asked for happens at the first check after it frees.
 */
function applyBudget(policy: TriggerPolicyConfig, ctx: TriggerContext, memory: PolicyMemory, decision: TriggerDecision, byBudget = false): TriggerDecision {
  if (!policy.budget) return decision;
  const b = budgetState(policy.budget, memory.budget, ctx.nowMs);
  const rules = [...decision.rules, ...b.rules];
  // byBudget: the check left the costly evidence out because the budget decides (planEvidence), so
  // the cheap rules' skip is not the reason.
  if (!b.over || (!decision.retrain && !byBudget)) return { ...decision, rules };
  if (ctx.force) return { ...decision, rules, reason: `${decision.reason}; overrode budget: ${b.summary} (frees at ${b.freesAt})` };
  const evidenceFired = decision.rules.some((r) => r.fired);
  return { ...decision, rules, retrain: false, reason: budgetReason(b), breaches: evidenceFired ? memory.breaches + 1 : memory.breaches };
}

const BUDGET_REASON = 'budget: ';
const budgetReason = (b: { summary: string; freesAt: string | null }) => `${BUDGET_REASON}${b.summary}; frees at ${b.freesAt}`;

/**
 * A trigger over budget is skipped whatever the evidence says (unless forced), so a plan that
 * would compute costly evidence need not: the budget decides.
 */
function budgetDecides(policy: TriggerPolicyConfig, ctx: TriggerContext, memory: PolicyMemory, plan: EvidencePlan): EvidencePlan {
  if (!policy.budget || ctx.force || (!plan.all && plan.need.length === 0)) return plan;
  const b = budgetState(policy.budget, memory.budget, ctx.nowMs);
  return b.over ? { all: false, need: [], decidedBy: budgetReason(b) } : plan;
}

/** Time left in the cooldown after the last retrain (or production's creation), 0 when none. */
function cooldownLeft(policy: TriggerPolicyConfig, production: { createdAt: string }, memory: PolicyMemory, nowMs: number): { leftMs: number; sinceMs: number } {
  const cooldownMs = parseDurationMs(policy.cooldown);
  const last = Math.max(memory.lastRetrainAt ? Date.parse(memory.lastRetrainAt) : -Infinity, Date.parse(production.createdAt));
  const sinceMs = nowMs - last;
  return { leftMs: cooldownMs > 0 && sinceMs < cooldownMs ? cooldownMs - sinceMs : 0, sinceMs };
}

/**
 * Data, params and inputs are what production was trained on, and the policy skips on that: the one
 * skip (besides force, which overrides it) that reads no policy memory, so a schedule's tick can
 * decide it without the controller (quick-skip.ts).
 */
export function unchangedSinceProduction(policy: TriggerPolicyConfig, e: Evidence): boolean {
  return Boolean(policy.skipUnchangedData && e.production && e.dataUnchanged && e.paramsUnchanged && e.inputsUnchanged !== false);
}

/**
 * `deferred`: the costly evidence was left out because the cheap rules decided (see planEvidence);
 * then a cooldown that holds whatever fires is said to be the reason, not "no rule fired".
 */
function decideFrom(policy: TriggerPolicyConfig, e: Evidence, ctx: TriggerContext, memory: PolicyMemory, rules: RuleResult[], deferred: boolean): TriggerDecision {
  const fired = rules.filter((r) => r.fired);
  const decide = (retrain: boolean, reason: string, breaches = memory.breaches): TriggerDecision => ({ retrain, reason, rules, breaches });

  if (ctx.force) return decide(true, forcedRetrainReason(ctx.reasons), 0);
  if (unchangedSinceProduction(policy, e)) {
    return decide(false, `data and params unchanged since production v${e.production!.version} was trained`);
  }
  if (!e.production) return decide(true, 'no production model yet', 0);
  const explicit = ctx.reasons.filter((r) => ctx.explicit.includes(r));
  if (explicit.length > 0) return decide(true, `requested: ${explicit.join(', ')}`, 0);
  if (e.dataUnchanged && !e.paramsUnchanged) return decide(true, 'training params changed since the production model', 0);
  // Like a params change: the files that decide the result differ, so today's model is not what they would train.
  if (e.inputsUnchanged === false) return decide(true, `inputs changed: ${e.inputsChanged?.length ? e.inputsChanged.join(', ') : 'unknown'}`, 0);

  const cooldown = cooldownLeft(policy, e.production, memory, ctx.nowMs);
  if (fired.length === 0) {
    if (deferred && cooldown.leftMs > 0 && policy.consecutiveBreaches <= 1) {
      return decide(false, `cooldown: last retrain ${ago(cooldown.sinceMs)} ago, cooldown ${policy.cooldown}; evidence rules not evaluated`);
    }
    const checked = rules.length ? rules.map((r) => r.detail).join('; ') : 'no evidence rules configured';
    return decide(false, `no rule fired: ${checked}`, 0);
  }
  const because = fired.map((r) => r.detail).join('; ');
  const breaches = memory.breaches + 1;
  if (breaches < policy.consecutiveBreaches) {
    return decide(false, `breach ${breaches} of ${policy.consecutiveBreaches} needed: ${because}`, breaches);
  }
  if (cooldown.leftMs > 0) {
    return decide(false, `cooldown: last retrain ${ago(cooldown.sinceMs)} ago, cooldown ${policy.cooldown}; would retrain: ${because}`, breaches);
  }
  return decide(true, because, 0);
}

/**
 * Which costly evidence the decision needs, given the cheap evidence (costly fields null) and the
 * costly evidence a configured rule reads and that can be had (`usable`). The decision depends on
 * the costly rules only through whether any of them fires, so it is decided when "none fires" and
 * "one fires" give the same retrain/skip and the same breach count (which decides nothing when
 * one breach is enough). Pure, so the check activity and `retrain check` plan alike.
 */
export function planEvidence(policy: TriggerPolicyConfig, cheap: Evidence, ctx: TriggerContext, memory: PolicyMemory, usable: CostlyEvidence[]): EvidencePlan {
  return budgetDecides(policy, ctx, memory, planUnbudgeted(policy, cheap, ctx, memory, usable));
}

function planUnbudgeted(policy: TriggerPolicyConfig, cheap: Evidence, ctx: TriggerContext, memory: PolicyMemory, usable: CostlyEvidence[]): EvidencePlan {
  if (ctx.force) return { all: true, need: [] };
  const rules = evaluateRules(policy, cheap, ctx.nowMs);
  const none = decideFrom(policy, cheap, ctx, memory, rules, true);
  if (usable.length === 0) return none.retrain ? { all: true, need: [] } : { all: false, need: [], decidedBy: none.reason };
  const hit: RuleResult = { rule: 'data_drift', fired: true, measured: '', threshold: '', detail: 'a costly rule' };
  const one = decideFrom(policy, cheap, ctx, memory, [...rules, hit], false);
  const counted = (d: TriggerDecision) => (policy.consecutiveBreaches <= 1 ? 0 : d.breaches);
  if (none.retrain === one.retrain && counted(none) === counted(one)) {
    return none.retrain ? { all: true, need: [] } : { all: false, need: [], decidedBy: none.reason };
  }
  return { all: false, need: usable };
}
