import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
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

/*
 * The other error classes, one place for all (issue 16): callers tell them apart with instanceof
 * and their fields (status, code), never by matching message text.
 */

/** An MLflow REST call answered with an error: `code` is MLflow's error_code (or HTTP_<status>). */
export class MlflowError extends Error {
  readonly code: string;
  constructor(
    readonly status: number,
    api: string,
    body: string,
  ) {
    let code = `HTTP_${status}`;
    let message = body.slice(0, 300);
    try {
      const parsed = JSON.parse(body) as { error_code?: string; message?: string };
      code = parsed.error_code ?? code;
      message = parsed.message ?? message;
    } catch {
      // not JSON: keep the raw text
    }
    super(`MLflow ${api}: ${code}: ${message}`);
    this.code = code;
    this.name = 'MlflowError';
  }
}

/** No run waits for a decision on the version named (approve/reject). */
export class ApprovalNotFound extends Error {
  override name = 'ApprovalNotFound';
}

/** The gateway refuses a request: the HTTP status and error code it answers with. */
export class GatewayRefusal extends Error {
  override name = 'GatewayRefusal';
  constructor(
    readonly status: number,
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** Temporal could not be reached: the gateway answers 502, which the sender may retry. */
export class TemporalUnavailable extends Error {
  override name = 'TemporalUnavailable';
  constructor(cause: unknown) {
    super('temporal unavailable', { cause });
  }
}

/** A CLI result that is not an error but that scripts branch on (e.g. a drifted dataset): exit with `code`. */
export class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A command the system refused to start (ENOENT, EACCES, a missing workdir): it never ran. `code` is the errno name. */
export class CommandStartFailed extends Error {
  override name = 'CommandStartFailed';
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** gRPC's NOT_FOUND: also what the server answers for a workflow execution that already completed. */
const GRPC_NOT_FOUND = 5;

/**
 * The workflow (or run) does not exist, or no longer accepts the call: the client's typed error,
 * or a ServiceError whose gRPC cause says NOT_FOUND (calls the client does not translate).
 */
export function isWorkflowNotFound(err: unknown): boolean {
  if (err instanceof WorkflowNotFoundError) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return err instanceof Error && err.name === 'ServiceError' && typeof cause === 'object' && cause !== null && (cause as { code?: unknown }).code === GRPC_NOT_FOUND;
}
