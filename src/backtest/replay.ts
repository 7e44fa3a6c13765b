import type { TriggerPolicyConfig } from '../config/model-schema.js';
import { decideRetrain, EMPTY_MEMORY, type Evidence, type PolicyMemory, type TriggerDecision } from '../policy/trigger-policy.js';

/**
 * The trigger policy replayed over time-ordered partitions. Pure (no I/O, no clock), so the
 * backtest workflow runs it and a unit test can compare it with decideRetrain called by hand.
 */

/** One partition as the backtest sees it: its file and the time it "arrived" (ISO). */
export interface Partition {
  index: number;
  file: string;
  at: string;
}

/** The model in "production" during the replay: the one trained on partition `trainedOn`. */
export interface ReplayProduction {
  version: number;
  createdAt: string;
  trainedOn: number;
}

export interface ReplayState {
  memory: PolicyMemory;
  production: ReplayProduction;
}

/** The trigger reason each replayed check carries: a scheduled look at the evidence, never an explicit request. */
export const BACKTEST_REASON = 'schedule';

/** The state after the initial training on partition 0 (the reference): v1, no memory. */
export function initialState(first: Partition): ReplayState {
  return { memory: { ...EMPTY_MEMORY }, production: { version: 1, createdAt: first.at, trainedOn: first.index } };
}

/** The context decideRetrain gets for a partition: its own time, never the workflow clock. */
export function contextAt(partition: Partition) {
  return { reasons: [BACKTEST_REASON], force: false, explicit: [] as string[], nowMs: Date.parse(partition.at) };
}

/**
 * One partition's decision and the state after it. A fired decision counts as a retrain that was
 * promoted (the backtest asks when the policy fires, not whether a candidate would win): production
 * becomes the model trained on this partition, and the memory records the retrain at its time, as
 * the controller does after a promoted or rejected run.
 */
export function advance(policy: TriggerPolicyConfig, state: ReplayState, evidence: Evidence, partition: Partition): { decision: TriggerDecision; next: ReplayState } {
  const decision = decideRetrain(policy, evidence, contextAt(partition), state.memory);
  if (!decision.retrain) return { decision, next: { memory: { ...state.memory, breaches: decision.breaches }, production: state.production } };
  return {
    decision,
    next: {
      memory: { lastRetrainAt: partition.at, breaches: 0 },
      production: { version: state.production.version + 1, createdAt: partition.at, trainedOn: partition.index },
    },
  };
}

/** Which partition's model each strategy has in production when partition `p` arrives (p >= 1). */
export function servingModel(strategy: 'never' | 'every', p: number): number {
  return strategy === 'never' ? 0 : p - 1;
}
