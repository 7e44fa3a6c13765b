import path from 'node:path';
import type { LoadedConfig } from './load.js';
import { modelConfig } from './load.js';
import type { ModelConfig, RegistryConfig } from './model-schema.js';
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
}

export function planModel(config: LoadedConfig, name: string): ModelPlan {
  const model = modelConfig(config, name);
  const field = (f: string) => `${config.file}: models.${name}.data.${f}`;
  const resolve = (p: string, f: string) => resolveDataPath(p, config.dir, config.dataRoots, field(f));
  return {
    ...model,
    name,
    configFile: config.file,
    stateDir: config.stateDir,
    registry: config.registry,
    data: {
      ...model.data,
      current: resolve(model.data.current, 'current'),
      evaluation: resolve(model.data.evaluation, 'evaluation'),
      ...(model.data.reference ? { reference: resolve(model.data.reference, 'reference') } : {}),
    },
    train: { ...model.train, workdir: path.resolve(config.dir, model.train.workdir) },
    evaluate: { ...model.evaluate, workdir: path.resolve(config.dir, model.evaluate.workdir) },
    promotion: {
      ...model.promotion,
      ...(model.promotion.deploy ? { deploy: { ...model.promotion.deploy, workdir: path.resolve(config.dir, model.promotion.deploy.workdir) } } : {}),
    },
  };
}
