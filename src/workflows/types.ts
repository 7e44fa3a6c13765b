import type { DataFingerprint } from '../data/fingerprint.js';

export const TRIGGER_REASONS = ['schedule', 'new_data', 'drift_alert', 'performance_alert', 'manual', 'business_change'] as const;
export type TriggerReason = (typeof TRIGGER_REASONS)[number];

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

export interface RetrainPipelineInput {
  model: string;
  triggers: TriggerRequest[];
  /** Retrain even when the evidence says there is no need. */
  force?: boolean;
}

export type Metrics = Record<string, number>;

interface Common {
  model: string;
  reason: string;
  triggers: TriggerReason[];
  dataFingerprint: DataFingerprint | null;
}

export type PipelineResult =
  | (Common & { outcome: 'promoted'; version: number; previousVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null } })
  | (Common & { outcome: 'rejected'; version: number; productionVersion: number | null; metrics: { candidate: Metrics; production: Metrics | null } })
  | (Common & { outcome: 'skipped' })
  | (Common & { outcome: 'failed'; step: PipelineStep; error: { type: string; message: string } });

export type PipelineOutcome = PipelineResult['outcome'];
export type PipelineStep = 'plan' | 'check' | 'validate' | 'train' | 'evaluate' | 'register' | 'promote';
