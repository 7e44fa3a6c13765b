import path from 'node:path';
import type { LoadedConfig } from './load.js';
import { modelConfig } from './load.js';
import { ConfigError } from '../errors.js';
import type { FleetConfig, ModelConfig, RegistryConfig } from './model-schema.js';
import { resolveDataPath } from './paths.js';

/**
 * A model's config with every path resolved and checked: what a pipeline run works from.
 * It is plain JSON, so it travels through workflow history and shows in the Web UI.
 */
export interface ModelPlan extends Omit<ModelConfig, 'data'> {
  name: string;
  configFile: string;
  stateDir: string;
  /** Which registry backend and which alias marks production. */
  registry: RegistryConfig;
  data: ModelConfig['data'] & { current: string; evaluation: string; reference?: string };
  /** The data roots (absolute): every file a data glob expands to must resolve inside one. */
  dataRoots?: string[];
  /** The fleet-wide training limit (config top level), when one is configured. */
  fleet?: FleetConfig;
}

/**
 * A plan is an activity result and input, in workflow history many times over: keep it small.
 * 512 KiB leaves room for train.params past the 128 KiB a command line can carry (they go through
 * RETRAIN_PARAMS_FILE) while staying far below Temporal's 2 MiB payload limit.
 */
export const MAX_PLAN_BYTES = 512 * 1024;

export function planModel(config: LoadedConfig, name: string): ModelPlan {
  const model = modelConfig(config, name);
  const field = (f: string) => `${config.file}: models.${name}.data.${f}`;
  const resolve = (p: string, f: string) => resolveDataPath(p, config.dir, config.dataRoots, field(f));
  const plan: ModelPlan = {
    ...model,
    name,
    configFile: config.file,
    stateDir: config.stateDir,
    registry: config.registry,
    dataRoots: config.dataRoots,
    ...(config.fleet ? { fleet: config.fleet } : {}),
    data: {
      ...model.data,
      current: resolve(model.data.current, 'current'),
      evaluation: resolve(model.data.evaluation, 'evaluation'),
      ...(model.data.reference ? { reference: resolve(model.data.reference, 'reference') } : {}),
    },
    ...(model.estimate?.data
      ? { estimate: { ...model.estimate, data: resolveDataPath(model.estimate.data, config.dir, config.dataRoots, `${config.file}: models.${name}.estimate.data`) } }
      : {}),
    train: { ...model.train, ...commandPaths(config.dir, model.train) },
    evaluate: { ...model.evaluate, ...commandPaths(config.dir, model.evaluate) },
    promotion: {
      ...model.promotion,
      ...(model.promotion.deploy ? { deploy: { ...model.promotion.deploy, ...commandPaths(config.dir, model.promotion.deploy) } } : {}),
    },
  };
  const bytes = Buffer.byteLength(JSON.stringify(plan));
  if (bytes > MAX_PLAN_BYTES) {
    throw new ConfigError(
      `${config.file}: models.${name}: the model's plan is ${bytes} bytes of JSON, over the ${MAX_PLAN_BYTES}-byte (512 KiB) limit for what travels in workflow history; move large values (train.params, env) into files the command reads`,
      { model: name, bytes },
    );
  }
  return plan;
}

/** A command's folders, relative to the config file, made absolute. */
function commandPaths(dir: string, spec: { workdir: string; venv?: string | undefined }): { workdir: string; venv?: string } {
  return { workdir: path.resolve(dir, spec.workdir), ...(spec.venv ? { venv: path.resolve(dir, spec.venv) } : {}) };
}
