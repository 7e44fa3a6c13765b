import type { CheckResult } from '../activities/types.js';
import type { DataFingerprint } from '../data/fingerprint.js';
import type { PolicyMemory, TriggerDecision } from '../policy/trigger-policy.js';

import type { TriggerReason } from '../policy/trigger-reasons.js';
export { TRIGGER_REASONS, type TriggerReason } from '../policy/trigger-reasons.js';

/** Why a retrain was asked for; upstream systems send this as the `trigger` signal. */
export interface TriggerRequest {
  reason: TriggerReason;
  source: string;
  details?: Record<string, unknown>;
  /** Duplicates with the same key count once. */
  idempotencyKey?: string;
  /** Skip the coalescing wait and the evidence check (data unchanged, cooldown). */
  force?: boolean;
  /** When the trigger was received (set by the controller). */
  receivedAt?: string;
}

/** How many triggers one run answers; `triggers` keeps the details of the first ones only. */
export interface CoalescedTriggers {
  total: number;
  byReason: Partial<Record<TriggerReason, number>>;
}

export interface RetrainPipelineInput {
  model: string;
  triggers: TriggerRequest[];
  /** Retrain even when the evidence says there is no need. */
  force?: boolean;
  /** The controller's memory for the trigger policy (cooldown, consecutive breaches). */
  memory?: PolicyMemory;
  coalesced?: CoalescedTriggers;
}

/** The check step's numbers, as the audit trail and `retrain explain` show them. */
export type CheckSummary = CheckResult;

export type Metrics = Record<string, number>;

interface Common {
  model: string;
  reason: string;
  triggers: TriggerReason[];
  dataFingerprint: DataFingerprint | null;
  /** The trigger policy's decision, once the check step has run. */
  decision: TriggerDecision | null;
}

export type PipelineResult =
  | (Common & { outcome: 'promoted'; version: number; previousVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null } })
  | (Common & { outcome: 'rejected'; version: number; productionVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null } })
  | (Common & { outcome: 'skipped' })
  | (Common & { outcome: 'failed'; step: PipelineStep; error: { type: string; message: string } });

export type PipelineOutcome = PipelineResult['outcome'];
export type PipelineStep = 'plan' | 'check' | 'validate' | 'train' | 'evaluate' | 'register' | 'promote';
