/**
 * `import type { RetrainConfigInput } from 'temporal-retrain'`: the config's types, for people who
 * generate retrain.config.yaml from code, and the loader that validates one the way the worker does.
 * The typed API for upstream systems is `temporal-retrain/client`.
 */
export type {
  DriftConfig,
  ModelConfig,
  PromotionPolicyConfig,
  RegistryConfig,
  RetrainConfigInput,
  RetrainConfigParsed,
  StepName,
  TriggerPolicyConfig,
  ValidationConfig,
} from './config/model-schema.js';
export { configSchema } from './config/model-schema.js';
export { loadConfig, parseConfig, type LoadedConfig } from './config/load.js';
export { ConfigError, FailureType, RetrainError } from './errors.js';
export type { PipelineResult, TriggerReason, TriggerRequest } from './workflows/types.js';
