import type { Client } from '@temporalio/client';
import { configPathFromEnv, loadConfig, modelConfig, type LoadedConfig } from '../config/load.js';
import { connectClient, resolveTemporal, type TemporalTarget } from '../temporal/connection.js';

export interface CliContext {
  config: LoadedConfig;
  target: TemporalTarget;
  client: Client;
}

/** Loads the config, connects to Temporal (never starts a server), runs `fn`, closes the connection. */
export async function withTemporal<T>(fn: (ctx: CliContext) => Promise<T>, model?: string): Promise<T> {
  const config = loadConfig(configPathFromEnv());
  if (model) modelConfig(config, model);
  const target = await resolveTemporal({ stateDir: config.stateDir, start: false });
  const client = await connectClient(target);
  try {
    return await fn({ config, target, client });
  } finally {
    await client.connection.close();
  }
}
