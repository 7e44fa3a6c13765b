import type { TriggerPolicyConfig } from '../config/model-schema.js';
import { parseDurationMs } from '../duration.js';

/**
 * One pipeline run that cost something, as the controller remembers it for the retrain budget.
 * `candidate`: it trained a candidate (promoted, rejected or rolled back), so it counts toward
 * maxRetrains; a run that failed during or after training counts only its training time.
 */
export interface BudgetEntry {
  /** When the run finished (ISO). */
  at: string;
  /** Time spent in the train step (workflow clock, activity retries included). */
  trainingMs: number;
  candidate: boolean;
}

/**
 * How many entries the memory keeps, newest last. The schema caps maxRetrains below this, so the
 * count is always exact; a training-time budget sees at most this many runs per window.
 */
export const BUDGET_WINDOW_ENTRIES = 200;

export type BudgetConfig = NonNullable<TriggerPolicyConfig['budget']>;

export interface BudgetState {
  over: boolean;
  /** The retrain count (or training time) that is over, in words: "3 retrains in the last 7d". */
  summary: string;
  /** When a retrain fits again (ISO); null when not over. */
  freesAt: string | null;
  rules: BudgetRule[];
}

export interface BudgetRule {
  rule: 'retrain_budget' | 'training_time_budget';
  fired: boolean;
  measured: number | string;
  threshold: number | string;
  detail: string;
}

const hours = (ms: number) => {
  const m = Math.round(ms / 60_000);
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ''}`;
};

/** Appends a finished run to the window, keeping the newest BUDGET_WINDOW_ENTRIES. */
export function rememberBudgetEntry(window: BudgetEntry[] | undefined, entry: BudgetEntry): BudgetEntry[] {
  return [...(window ?? []), entry].slice(-BUDGET_WINDOW_ENTRIES);
}

/**
 * Is another retrain over the budget now? The window is (now - per, now]: a run exactly `per`
 * ago has left it, so a budget frees at the moment (entry time + per) of the run that must leave.
 * Pure, so it runs inside the pipeline workflow and in `retrain explain`.
 */
export function budgetState(budget: BudgetConfig, window: BudgetEntry[] | undefined, nowMs: number): BudgetState {
  const perMs = parseDurationMs(budget.per);
  const inWindow = (window ?? [])
    .map((e) => ({ ...e, t: Date.parse(e.at) }))
    .filter((e) => Number.isFinite(e.t) && e.t > nowMs - perMs && e.t <= nowMs)
    .sort((a, b) => a.t - b.t);
  const rules: BudgetRule[] = [];
  const overs: { summary: string; freesAt: number }[] = [];

  if (budget.maxRetrains !== undefined) {
    const runs = inWindow.filter((e) => e.candidate);
    const over = runs.length >= budget.maxRetrains;
    rules.push({
      rule: 'retrain_budget',
      fired: over,
      measured: runs.length,
      threshold: budget.maxRetrains,
      detail: `${runs.length} retrain${runs.length === 1 ? '' : 's'} in the last ${budget.per} (budget ${budget.maxRetrains})`,
    });
    // One more fits once all but maxRetrains - 1 of them have left the window.
    if (over) overs.push({ summary: `${runs.length} retrain${runs.length === 1 ? '' : 's'} in the last ${budget.per}`, freesAt: runs[runs.length - budget.maxRetrains]!.t + perMs });
  }
  if (budget.maxTrainingTime !== undefined) {
    const maxMs = parseDurationMs(budget.maxTrainingTime);
    let total = inWindow.reduce((n, e) => n + e.trainingMs, 0);
    const over = total >= maxMs;
    rules.push({
      rule: 'training_time_budget',
      fired: over,
      measured: hours(total),
      threshold: budget.maxTrainingTime,
      detail: `${hours(total)} of training in the last ${budget.per} (budget ${budget.maxTrainingTime})`,
    });
    if (over) {
      const summary = `${hours(total)} of training in the last ${budget.per} (budget ${budget.maxTrainingTime})`;
      let freesAt = nowMs;
      for (const e of inWindow) {
        if (total < maxMs) break;
        total -= e.trainingMs;
        freesAt = e.t + perMs;
      }
      overs.push({ summary, freesAt });
    }
  }
  if (overs.length === 0) return { over: false, summary: '', freesAt: null, rules };
  // Both over: a retrain fits only when both have freed.
  const freesAt = Math.max(...overs.map((o) => o.freesAt));
  return { over: true, summary: overs.map((o) => o.summary).join(' and '), freesAt: new Date(freesAt).toISOString(), rules };
}
