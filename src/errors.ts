import { ApplicationFailure } from '@temporalio/common';

/**
 * Failure types shared by activities, workflows and the CLI. Workflows match on these strings,
 * never on message text. Everything listed here is permanent: retrying cannot help.
 */
export const FailureType = {
  Config: 'ConfigError',
  DataValidation: 'DataValidationError',
  DataSource: 'DataSourceError',
  TrainingCommand: 'TrainingCommandError',
  EvaluationCommand: 'EvaluationCommandError',
  Contract: 'CommandContractError',
  Registry: 'RegistryError',
  PromotionConflict: 'PromotionConflictError',
  DeployHook: 'DeployHookError',
  UnknownVersion: 'UnknownVersionError',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

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

export function toFailure(err: unknown): unknown {
  if (err instanceof RetrainError) return permanentFailure(err.type, err.message, err.details);
  return err;
}
