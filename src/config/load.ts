import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { applyEnvOverrides } from './env-overrides.js';
import { configSchema, type ModelConfig, type RegistryConfig, type TrackingConfig } from './model-schema.js';

export const DEFAULT_CONFIG_FILE = 'retrain.config.yaml';

export interface LoadedConfig {
  file: string;
  dir: string;
  stateDir: string;
  dataRoots: string[];
  registry: RegistryConfig;
  tracking: TrackingConfig;
  models: Record<string, ModelConfig>;
}

export function configPathFromEnv(env = process.env): string {
  return path.resolve(env.RETRAIN_CONFIG || DEFAULT_CONFIG_FILE);
}

/** Reads, overrides from env, and validates; every problem names the file, the field and the value. */
export function loadConfig(file = configPathFromEnv(), env = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config (${(err as Error).message})`, { file });
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${file}: invalid YAML: ${e.message}`, { file });
  }
  let parsed: unknown;
  try {
    // Anchors and aliases are how a config shares one block among many models; allow plenty of them.
    parsed = doc.toJS({ maxAliasCount: 10_000 });
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message}`, { file });
  }
  const raw = applyEnvOverrides(parsed ?? {}, env);
  return parseConfig(raw, file);
}

export function parseConfig(raw: unknown, file: string): LoadedConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(file, raw, result.error.issues), { file });
  const dir = path.dirname(path.resolve(file));
  const cfg = result.data;
  return {
    file: path.resolve(file),
    dir,
    stateDir: path.resolve(dir, cfg.stateDir),
    dataRoots: cfg.dataRoots.map((r) => path.resolve(dir, r)),
    registry: cfg.registry,
    tracking: cfg.tracking,
    models: cfg.models,
  };
}

function describeIssues(file: string, raw: unknown, issues: z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => {
    const where = issue.path.map(String).join('.') || '(top level)';
    const value = valueAt(raw, issue.path);
    const shown = value === undefined ? '' : ` (got ${JSON.stringify(value)?.slice(0, 80)})`;
    const extra = issue.code === 'unrecognized_keys' ? `: ${issue.keys.join(', ')}` : '';
    return `  ${where}: ${issue.message}${extra}${shown}`;
  });
  return `${file}: invalid config\n${lines.join('\n')}`;
}

function valueAt(raw: unknown, p: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export function modelConfig(config: LoadedConfig, name: string): ModelConfig {
  const model = config.models[name];
  if (!model) {
    const known = Object.keys(config.models).join(', ');
    throw new ConfigError(`${config.file}: unknown model "${name}" (configured: ${known})`, { model: name });
  }
  return model;
}
