// No imports: workflow code (the sandbox) uses these constants too.
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
