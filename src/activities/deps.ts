import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { DataEngine } from '../data/engine.js';
import type { StatCache } from '../data/stat-cache.js';
import { openRegistry } from '../registry/open.js';
import type { Registry } from '../registry/registry.js';
import type { ModelPlan } from '../config/plan.js';

/** What activities need from the outside world; the worker builds the real ones, tests may swap. */
export interface ActivityDeps {
  /**
   * Read on every run, so an edited config file applies to the next run without a restart; parsed
   * only when its content (or a RETRAIN__ override) changed, since loadConfig caches by content hash.
   */
  config: () => LoadedConfig;
  /** The registry a config (or a plan, see registryOfPlan) names; opened once per state folder and backend. */
  registry: (config: RegistrySource) => Registry;
  engine: () => Promise<DataEngine>;
  /** The fingerprint stat cache of a state folder (default: statCacheFor); undefined hashes every byte (benchmarks' baseline). */
  statCache?: (stateDir: string) => StatCache | undefined;
}

/** What opening a registry needs: a LoadedConfig has it, and so does every plan (configFile, stateDir, registry). */
export type RegistrySource = Pick<LoadedConfig, 'file' | 'stateDir' | 'registry'>;

/**
 * The registry of a run's plan. Activities that get a plan take the registry from it instead of
 * reading the config file again: a run keeps the registry it was planned with, and the config is
 * read once per run (planRun), not once per activity.
 */
export function registryOfPlan(deps: Pick<ActivityDeps, 'registry'>, plan: Pick<ModelPlan, 'configFile' | 'stateDir' | 'registry'>): Registry {
  return deps.registry({ file: plan.configFile, stateDir: plan.stateDir, registry: plan.registry });
}

export function defaultDeps(configFile: string): ActivityDeps {
  let engine: Promise<DataEngine> | undefined;
  const registries = new Map<string, Registry>();
  return {
    config: () => loadConfig(configFile),
    registry: (config) => {
      const key = `${config.stateDir}\0${JSON.stringify(config.registry)}`;
      if (!registries.has(key)) registries.set(key, openRegistry(config));
      return registries.get(key)!;
    },
    engine: () => (engine ??= DataEngine.open()),
  };
}

/** A run's working folder: one per pipeline workflow id, so a retried step reuses its own. */
/** A run's working folder, named after its pipeline id (or a production move's record id). */
export function runDir(stateDir: string, model: string, id: string): string {
  return path.join(stateDir, 'runs', model, id.replace(/[^A-Za-z0-9._-]/g, '_'));
}
