import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { ValidationReport } from '../data/validate.js';
import type { PairedComparison } from '../stats/paired.js';

/**
 * What a run's steps returned that the pipeline result does not carry: the validation report (with
 * sample values), the training time and the paired comparison, kept in the record after Temporal's
 * retention. A run recorded since `pipeline-patches-folded` (or the patch that stands for it) hands
 * them to the audit activity as its steps return them; for older runs, and evidence over 64 KiB, the
 * activity reads them from the run's own history (below).
 */
export interface RunEvidence {
  validation?: ValidationReport;
  trainDurationMs?: number;
  comparison?: PairedComparison;
  evaluationSha256?: string;
}

const decode = (p: Payload | null | undefined): unknown => (p ? defaultPayloadConverter.fromPayload(p) : undefined);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The activities the validate step ran as: one since one-step validation, validateData in histories before. */
const VALIDATE_STEPS = new Set(['validateData', 'snapshotAndValidate']);

/** The evidence in one pipeline history; steps that never ran (or older histories) leave their field out. */
export function evidenceFromHistory(history: History): RunEvidence {
  const scheduled = new Map<string, string>();
  const out: RunEvidence = {};
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const name = scheduled.get(String(done.scheduledEventId));
      const value = decode(done.result?.payloads?.[0]);
      if (!isObject(value)) continue;
      if (name === 'validateData' && Array.isArray(value.violations)) out.validation = value as unknown as ValidationReport;
      if (name === 'snapshotAndValidate' && isObject(value.report) && Array.isArray(value.report.violations)) out.validation = value.report as unknown as ValidationReport;
      if (name === 'trainCandidate' && typeof value.durationMs === 'number') out.trainDurationMs = value.durationMs;
      if (name === 'evaluateModels') {
        if (isObject(value.comparison)) out.comparison = value.comparison as unknown as PairedComparison;
        if (typeof value.evaluationSha256 === 'string') out.evaluationSha256 = value.evaluationSha256;
      }
    }
    const failed = e.activityTaskFailedEventAttributes;
    if (failed && VALIDATE_STEPS.has(scheduled.get(String(failed.scheduledEventId)) ?? '')) {
      // A failed validation carries its whole report (every violation with samples) as the failure's details.
      const details = decode(failed.failure?.applicationFailureInfo?.details?.payloads?.[0]);
      if (isObject(details) && isObject(details.report) && Array.isArray(details.report.violations)) out.validation = details.report as unknown as ValidationReport;
    }
  }
  return out;
}
