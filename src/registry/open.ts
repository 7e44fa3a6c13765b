import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { LocalRegistry } from './local.js';
import { MlflowRegistry } from './mlflow.js';
import type { Registry } from './registry.js';

/** The registry backend the config names; MLflow's address and token may come from the environment. */
export function openRegistry(config: Pick<LoadedConfig, 'file' | 'stateDir' | 'registry'>, env = process.env): Registry {
  const { registry } = config;
  if (registry.backend === 'local') return new LocalRegistry(path.join(config.stateDir, 'registry'));
  const trackingUri = registry.mlflow.trackingUri ?? env.MLFLOW_TRACKING_URI;
  if (!trackingUri) {
    throw new ConfigError(`${config.file}: registry.backend is "mlflow" but neither registry.mlflow.trackingUri nor MLFLOW_TRACKING_URI is set`, { field: 'registry.mlflow.trackingUri' });
  }
  const token = env[registry.mlflow.tokenEnv];
  return new MlflowRegistry({ trackingUri, stateDir: config.stateDir, ...(token ? { token } : {}) });
}
