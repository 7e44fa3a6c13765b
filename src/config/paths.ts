import path from 'node:path';
import { ConfigError } from '../errors.js';

const GLOB_CHARS = /[*?[{]/;

/** The folder part of a path or glob: everything before the first segment with a wildcard. */
function staticPrefix(p: string): string {
  const parts = p.split(path.sep);
  const i = parts.findIndex((s) => GLOB_CHARS.test(s));
  return i === -1 ? p : parts.slice(0, i).join(path.sep) || path.sep;
}

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a configured or requested data path against the config folder and refuses anything
 * outside the configured data roots, so a trigger payload or a config typo cannot read /etc.
 */
export function resolveDataPath(p: string, baseDir: string, roots: string[], field: string): string {
  if (p.includes('\0')) throw new ConfigError(`${field}: path contains a NUL byte`, { field });
  const resolved = path.resolve(baseDir, p);
  const prefix = staticPrefix(resolved);
  if (!roots.some((root) => isInside(root, prefix))) {
    throw new ConfigError(`${field}: path ${JSON.stringify(p)} resolves outside the data roots (${roots.join(', ')})`, {
      field,
      value: p,
    });
  }
  return resolved;
}
