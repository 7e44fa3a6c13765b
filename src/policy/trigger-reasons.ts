/** Why a retrain was asked for; the vocabulary of triggers, search attributes and the audit trail. */
export const TRIGGER_REASONS = ['schedule', 'new_data', 'drift_alert', 'performance_alert', 'manual', 'business_change'] as const;
export type TriggerReason = (typeof TRIGGER_REASONS)[number];
