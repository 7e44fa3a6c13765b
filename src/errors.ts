import { ApplicationFailure } from '@temporalio/common';
import { redact, redactDeep, redactError } from './redact.js';

export { FailureType } from './failure-types.js';
import { FailureType } from './failure-types.js';

export const NON_RETRYABLE_TYPES: readonly string[] = Object.values(FailureType);

/** An error the CLI can show as is: it names what is wrong and where. */
export class RetrainError extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = type;
  }
}

export class ConfigError extends RetrainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(FailureType.Config, message, details);
  }
}

/** Turns a permanent problem into a non-retryable Temporal failure with the same type and details. */
export function permanentFailure(type: FailureType, message: string, details: Record<string, unknown> = {}) {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
}

/**
 * What an activity throws, as it may leave the worker: a RetrainError becomes a typed
 * non-retryable failure; every message, stack and detail is redacted first, because what leaves
 * an activity is kept in workflow history and printed in the worker's log.
 */
export function toFailure(err: unknown): unknown {
  if (err instanceof RetrainError) return permanentFailure(err.type, redact(err.message), redactDeep(err.details));
  return redactError(err);
}

/** The first line of an error's message: for one-line summaries; the rest is the evidence. */
export const firstLine = (message: string): string => message.split('\n', 1)[0] ?? '';

/** Node's system errors (ENOSPC, EACCES, …) carry a code; anything else has none. */
export const errnoCode = (err: unknown): string | undefined =>
  err && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined;
