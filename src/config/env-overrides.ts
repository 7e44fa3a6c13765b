import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { configSchema } from './model-schema.js';

const PREFIX = 'RETRAIN__';
/** An override is one value, not a second config: a few KiB is plenty, and it is parsed on every load. */
const MAX_VALUE_BYTES = 64 * 1024;

/** One environment variable that changed the config, and the path (as keys in the file) it set. */
export interface AppliedOverride {
  variable: string;
  path: string[];
}

/** The names of the RETRAIN__ variables with their values, sorted: part of the config cache key. */
export function overrideVariables(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[0].startsWith(PREFIX) && e[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Lets an operator change a threshold without editing the file:
 * RETRAIN__CHURN__TRIGGER__MAXRELATIVEDROP=0.1 sets models.churn.trigger.maxRelativeDrop.
 * Segments match existing keys case-insensitively; the value is read as YAML (a scalar or a flow
 * collection). The result is validated by the schema like the file itself. Every error names the
 * variable: a stray RETRAIN__FOO=1 must say which model it meant, not break every model silently.
 */
export function applyEnvOverrides(raw: unknown, env: NodeJS.ProcessEnv, file = 'config'): unknown {
  return applyEnvOverridesTracked(raw, env, file).raw;
}

export function applyEnvOverridesTracked(raw: unknown, env: NodeJS.ProcessEnv, file = 'config'): { raw: unknown; applied: AppliedOverride[] } {
  const vars = overrideVariables(env);
  if (vars.length === 0 || raw === null || typeof raw !== 'object') return { raw, applied: [] };
  // Through JSON, not structuredClone: two models sharing one block through a YAML alias must not
  // both change when an override sets one of them (the loader has bounded the expanded size).
  const root = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
  const applied: AppliedOverride[] = [];
  for (const [name, text] of vars) {
    const segments = name.slice(PREFIX.length).split('__');
    const models = root.models;
    const modelNames = models && typeof models === 'object' && !Array.isArray(models) ? Object.keys(models) : [];
    const model = findKey(modelNames, segments[0]!);
    if (model === undefined) {
      throw new ConfigError(`${name}: no model "${segments[0]!.toLowerCase()}" in ${file} (configured: ${modelNames.join(', ') || 'none'}); overrides are named RETRAIN__<MODEL>__<KEY>[__<KEY>…]`, {
        variable: name,
      });
    }
    if (segments.length < 2 || segments.some((s) => s === '')) {
      throw new ConfigError(`${name}: an override is named RETRAIN__<MODEL>__<KEY>[__<KEY>…] (no empty parts); it sets a key of model "${model}" in ${file}`, { variable: name });
    }
    if (Buffer.byteLength(text) > MAX_VALUE_BYTES) {
      throw new ConfigError(`${name}: value is ${Buffer.byteLength(text)} bytes, over the ${MAX_VALUE_BYTES}-byte limit for an override`, { variable: name });
    }
    let value: unknown;
    try {
      value = parseYaml(text, { maxAliasCount: 0, uniqueKeys: true });
    } catch (err) {
      const why = (err as Error).message.split('\n')[0];
      throw new ConfigError(`${name}: value is not a YAML scalar or flow value: ${why}`, { variable: name });
    }
    applied.push({ variable: name, path: setPath(root, ['models', model, ...segments.slice(1)], value) });
  }
  return { raw: root, applied };
}

/** Just enough of zod's runtime shape to walk from the config schema to a key's schema. */
interface ZodLike {
  def?: { type?: string; innerType?: ZodLike; in?: ZodLike; valueType?: ZodLike; element?: ZodLike };
  shape?: Record<string, ZodLike>;
}

function unwrap(s: ZodLike | undefined): ZodLike | undefined {
  let cur = s;
  for (let i = 0; i < 20 && cur?.def; i++) {
    const inner = cur.def.innerType ?? (cur.def.type === 'pipe' ? cur.def.in : undefined);
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

function schemaKeys(s: ZodLike | undefined): string[] {
  const u = unwrap(s);
  return u?.shape ? Object.keys(u.shape) : [];
}

function childSchema(s: ZodLike | undefined, key: string): ZodLike | undefined {
  const u = unwrap(s);
  if (u?.shape) return Object.hasOwn(u.shape, key) ? u.shape[key] : undefined;
  if (u?.def?.type === 'record') return u.def.valueType;
  if (u?.def?.type === 'array') return u.def.element;
  return undefined;
}

function findKey(keys: string[], segment: string): string | undefined {
  return keys.find((k) => k === segment) ?? keys.find((k) => k.toLowerCase() === segment.toLowerCase());
}

/** Sets the value and returns the path as spelled in the file (new keys as written in the variable). */
function setPath(root: Record<string, unknown>, segments: string[], value: unknown): string[] {
  let cur = root;
  let schema: ZodLike | undefined = configSchema as unknown as ZodLike;
  const spelled: string[] = [];
  segments.forEach((segment, i) => {
    // A key the file does not set yet is spelled as the schema spells it (variables are upper case).
    const key = findKey(Object.keys(cur), segment) ?? findKey(schemaKeys(schema), segment) ?? segment;
    schema = childSchema(schema, key);
    spelled.push(key);
    if (i === segments.length - 1) {
      cur[key] = value;
      return;
    }
    const next = Object.hasOwn(cur, key) ? cur[key] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  });
  return spelled;
}

/** The override that set `issuePath` or a field inside or around it, to name in a schema error. */
export function overrideFor(applied: AppliedOverride[], issuePath: PropertyKey[], extraKeys: string[] = []): string | undefined {
  const p = issuePath.map(String);
  const hit = applied.filter((o) => {
    const n = Math.min(o.path.length, p.length);
    if (o.path.slice(0, n).join('\0') !== p.slice(0, n).join('\0')) return false;
    // An issue at the field the override set, or inside the value it set.
    if (o.path.length <= p.length) return true;
    // An issue above it (an unknown key reported at its parent): only the override that added that key.
    return extraKeys.includes(o.path[p.length]!);
  });
  return hit.length ? hit.map((o) => o.variable).join(', ') : undefined;
}
