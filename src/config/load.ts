import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { applyEnvOverridesTracked, overrideVariables, type AppliedOverride } from './env-overrides.js';
import { describeIssues } from './issue-text.js';
import { configSchema, type ModelConfig, type RegistryConfig, type TrackingConfig, type FleetConfig, type AuditConfig } from './model-schema.js';

export const DEFAULT_CONFIG_FILE = 'retrain.config.yaml';

export interface LoadedConfig {
  file: string;
  dir: string;
  stateDir: string;
  dataRoots: string[];
  registry: RegistryConfig;
  tracking: TrackingConfig;
  audit: AuditConfig;
  fleet?: FleetConfig;
  models: Record<string, ModelConfig>;
}

export function configPathFromEnv(env = process.env): string {
  return path.resolve(env.RETRAIN_CONFIG || DEFAULT_CONFIG_FILE);
}

/**
 * Bounds on what a config may cost. The file is read by the CLI and by the worker before every
 * run, and a model's plan travels through workflow history, so a config must stay small: a file of
 * at most 1 MiB, at most 4 MiB once its aliases are expanded (what JSON, the schema and a plan
 * see), and yaml's own alias budget against "billion laughs" documents.
 */
export const CONFIG_LIMITS = { fileBytes: 1024 * 1024, expandedBytes: 4 * 1024 * 1024, aliasCount: 10_000 } as const;

interface CacheEntry {
  key: string;
  config: LoadedConfig;
}
/** The last good parse of each config file, keyed by its content hash and the RETRAIN__ overrides. */
const cache = new Map<string, CacheEntry>();
let parses = 0;

/** How many times a config was parsed and validated in this process (the cache's misses). */
export const configParseCount = () => parses;

/**
 * Reads, overrides from env, and validates; every problem names the file, the field and the value.
 * Parsed once per change: the file is re-read (it is small) and hashed on every call, and an
 * unchanged file with unchanged overrides returns the same, frozen, object.
 */
export function loadConfig(file = configPathFromEnv(), env = process.env): LoadedConfig {
  const abs = path.resolve(file);
  const text = readConfigText(file);
  const overrides = overrideVariables(env);
  const key = createHash('sha256').update(text).update('\0').update(JSON.stringify(overrides)).digest('hex');
  const hit = cache.get(abs);
  if (hit && hit.key === key) return hit.config;
  parses++;
  const config = deepFreeze(parseConfigText(text, file, env));
  cache.set(abs, { key, config });
  return config;
}

function readConfigText(file: string): string {
  let buf: Buffer;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > CONFIG_LIMITS.fileBytes) throw tooLarge(file, st.size);
    buf = readFileSync(file);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConfigError(`${file}: no config file here. Create one with \`npx retrain init\`, or point RETRAIN_CONFIG at yours.`, { file });
    throw new ConfigError(`${file}: cannot read config (${(err as Error).message})`, { file });
  }
  // The file may have grown between stat and read.
  if (buf.length > CONFIG_LIMITS.fileBytes) throw tooLarge(file, buf.length);
  return buf.toString('utf8');
}

const tooLarge = (file: string, bytes: number) =>
  new ConfigError(`${file}: config is ${bytes} bytes, over the ${CONFIG_LIMITS.fileBytes}-byte (1 MiB) limit`, { file, bytes });

function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  let parsed: unknown;
  try {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new ConfigError(`${file}: invalid YAML: ${e.message}`, { file });
    }
    // Anchors and aliases are how a config shares one block among many models; allow plenty of them.
    parsed = doc.toJS({ maxAliasCount: CONFIG_LIMITS.aliasCount });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const message = (err as Error).message ?? String(err);
    if (/alias count/i.test(message)) {
      throw new ConfigError(`${file}: invalid YAML: aliases expand past the limit of ${CONFIG_LIMITS.aliasCount} (maxAliasCount): ${message}`, { file });
    }
    // yaml's parser recurses; a document nested thousands deep ends in a RangeError, not a config.
    const why = err instanceof RangeError ? 'nested too deeply' : message.split('\n')[0];
    throw new ConfigError(`${file}: invalid YAML: ${why}`, { file });
  }
  const size = expandedJsonBytes(parsed, CONFIG_LIMITS.expandedBytes, file);
  if (size > CONFIG_LIMITS.expandedBytes) {
    throw new ConfigError(
      `${file}: config expands (aliases resolved) to more than ${CONFIG_LIMITS.expandedBytes} bytes (4 MiB) of JSON, the limit`,
      { file },
    );
  }
  const { raw, applied } = applyEnvOverridesTracked(parsed ?? {}, env, file);
  return parseConfig(raw, file, applied);
}

/**
 * The size of the value as JSON with every alias expanded, counted without expanding it: a shared
 * node is sized once and counted each time it is referenced. Stops counting past `limit`.
 */
function expandedJsonBytes(value: unknown, limit: number, file: string): number {
  const sized = new Map<object, number>();
  const open = new Set<object>();
  const size = (v: unknown): number => {
    if (v === null || v === undefined) return 4;
    if (typeof v === 'string') return v.length + 2;
    if (typeof v !== 'object') return String(v).length;
    const known = sized.get(v);
    if (known !== undefined) return known;
    if (open.has(v)) throw new ConfigError(`${file}: invalid YAML: an alias refers to a node that contains it`, { file });
    open.add(v);
    let n = 2;
    if (Array.isArray(v)) {
      for (const x of v) if ((n += size(x) + 1) > limit) break;
    } else if (v instanceof Map) {
      for (const [k, x] of v) if ((n += String(k).length + 3 + size(x) + 1) > limit) break;
    } else {
      for (const [k, x] of Object.entries(v)) if ((n += k.length + 3 + size(x) + 1) > limit) break;
    }
    open.delete(v);
    sized.set(v, n);
    return n;
  };
  return size(value);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

export function parseConfig(raw: unknown, file: string, applied: AppliedOverride[] = []): LoadedConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(file, raw, configSchema, result.error.issues, applied), { file });
  const dir = path.dirname(path.resolve(file));
  const cfg = result.data;
  return {
    file: path.resolve(file),
    dir,
    stateDir: path.resolve(dir, cfg.stateDir),
    dataRoots: cfg.dataRoots.map((r) => path.resolve(dir, r)),
    registry: cfg.registry,
    tracking: cfg.tracking,
    audit: cfg.audit,
    ...(cfg.fleet ? { fleet: cfg.fleet } : {}),
    models: cfg.models,
  };
}

export function modelConfig(config: LoadedConfig, name: string): ModelConfig {
  const model = config.models[name];
  if (!model) {
    const known = Object.keys(config.models).join(', ');
    throw new ConfigError(`${config.file}: unknown model "${name}" (configured: ${known})`, { model: name });
  }
  return model;
}
