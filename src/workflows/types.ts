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
  /** Skip the coalescing wait only: the evidence policy still decides (`retrain run`, `npm start`). */
  now?: boolean;
  /** When the trigger was received (set by the controller). */
  receivedAt?: string;
  /** Unique per caller that waits for the run answering it (`runFor` query on the controller). */
  requestId?: string;
  /** Gateway deliveries: derived from the request's signature; a replay carries the same id and counts once. */
  deliveryId?: string;
  /** Until when the signature could be replayed (ISO time); the controller remembers the id until then. */
  deliveryExpiresAt?: string;
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

import type { Metrics } from '../runner/contract.js';

export type { Metrics };

interface Common {
  model: string;
  reason: string;
  triggers: TriggerReason[];
  dataFingerprint: DataFingerprint | null;
  /** The trigger policy's decision, once the check step has run. */
  decision: TriggerDecision | null;
  /** Time spent in the train step, when the run reached it (absent in results from before budgets). */
  trainingMs?: number;
}

/** Who decided on a candidate that needed approval. */
export interface ApprovalRecord {
  decision: 'approved' | 'rejected';
  approver: string;
  comment?: string;
  at: string;
}

export type PipelineResult =
  | (Common & { outcome: 'promoted'; version: number; previousVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null }; approval?: ApprovalRecord })
  | (Common & { outcome: 'rolled_back'; version: number; previousVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null }; watched: Metrics })
  | (Common & { outcome: 'rejected'; version: number; productionVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null }; approval?: ApprovalRecord })
  | (Common & { outcome: 'skipped' })
  | (Common & { outcome: 'failed'; step: PipelineStep; error: { type: string; message: string } });

export type PipelineOutcome = PipelineResult['outcome'];
export type PipelineStep = 'plan' | 'check' | 'validate' | 'queue' | 'train' | 'evaluate' | 'register' | 'approval' | 'promote' | 'deploy' | 'watch';

/** The body of the `approve` and `reject` updates: bound to one candidate version. */
export interface ApprovalInput {
  version: number;
  approver: string;
  comment?: string;
}

/** Input of the `moveProduction` workflow (rollback or manual promotion). */
export interface MoveProductionInput {
  model: string;
  kind: 'rollback' | 'promote';
  /** Target version; a rollback without one goes to the most recent earlier production version not rolled back before. */
  to?: number;
  actor: string;
  reason: string;
}

export interface MoveProductionResult {
  model: string;
  from: number | null;
  to: number | null;
  reason: string;
  /** Earlier production versions a rollback walked past because they were rolled back before. */
  skipped?: { version: number; why: string }[];
  /** E.g. that an explicitly named target was declared bad before. */
  notes?: string[];
}
