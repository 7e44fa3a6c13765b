import type { z } from 'zod';
import { overrideFor, type AppliedOverride } from './env-overrides.js';

/**
 * Zod's issues → lines a person can act on: the field, what is wrong in words, the value (short; never a whole
 * object), and for a misspelt key the nearest valid one ("did you mean promotion?").
 */
export function describeIssues(file: string, raw: unknown, schema: z.ZodType, issues: z.core.$ZodIssue[], applied: AppliedOverride[]): string {
  const lines = issues.map((issue) => {
    const where = issue.path.map(String).join('.') || '(top level)';
    const by = overrideFor(applied, issue.path, issue.code === 'unrecognized_keys' ? issue.keys : []);
    return `  ${where}: ${issueMessage(issue, raw, schema)}${by ? ` (set by ${by})` : ''}`;
  });
  return `${file}: invalid config\n${lines.join('\n')}`;
}

function issueMessage(issue: z.core.$ZodIssue, raw: unknown, schema: z.ZodType): string {
  const value = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const valid = keysAt(schema, issue.path);
      const each = issue.keys.map((k) => {
        const near = nearest(k, valid);
        return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`;
      });
      const list = valid.length ? `; valid keys here: ${valid.join(', ')}` : '';
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${each.join(', ')}${list}`;
    }
    case 'invalid_key':
      // The key's own rule (e.g. the model naming rule), not "Invalid key in record".
      return `invalid name ${JSON.stringify(String(issue.path.at(-1)))}: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'invalid_type':
      if (value === undefined) return `required, missing (expected ${issue.expected})`;
      return `${issue.message}${shown(value)}`;
    default:
      return `${issue.message}${shown(value)}`;
  }
}

/** The value next to the message: in full when short, else (objects and lists) by its shape only, never dumped. */
function shown(value: unknown): string {
  if (value === undefined) return '';
  const json = JSON.stringify(value) ?? String(value);
  if (json.length <= 80) return ` (got ${json})`;
  if (Array.isArray(value)) return ` (got a list of ${value.length})`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return ` (got an object with keys ${keys.slice(0, 6).join(', ')}${keys.length > 6 ? ', …' : ''})`;
  }
  return ` (got ${json.slice(0, 80)}…)`;
}

function valueAt(raw: unknown, p: PropertyKey[]): unknown {
  let cur: unknown = raw;
  for (const key of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  shape?: Record<string, z.ZodType>;
}
const defOf = (s: z.ZodType) => (s as unknown as { def: SchemaDef }).def;

/** Strips wrappers (optional, default, prefault, nullable, pipes, lazy refinements) down to the shape that holds keys. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const d = defOf(s);
    const inner = d.innerType ?? (d.type === 'pipe' ? d.in : undefined);
    if (!inner) return s;
    s = inner;
  }
  return s;
}

/** The keys an object schema at `p` accepts ([] when the path does not lead to one). */
export function keysAt(schema: z.ZodType, p: PropertyKey[]): string[] {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const key of p) {
    const d = defOf(s);
    if (d.type === 'object') s = d.shape?.[String(key)];
    else if (d.type === 'record') s = d.valueType;
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'union') s = d.options?.find((o) => defOf(unwrap(o)).type === 'object');
    else return [];
    if (!s) return [];
    s = unwrap(s);
  }
  const d = defOf(s);
  if (d.type === 'union') {
    const keys = new Set<string>();
    for (const o of d.options ?? []) for (const k of keysAt(o, [])) keys.add(k);
    return [...keys];
  }
  return d.type === 'object' ? Object.keys(d.shape ?? {}) : [];
}

/** The valid key closest to a misspelt one, if it is close (edit distance ≤ 2, or ≤ a third of its length). */
export function nearest(key: string, valid: string[]): string | undefined {
  let best: { k: string; d: number } | undefined;
  for (const k of valid) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (!best || d < best.d) best = { k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
