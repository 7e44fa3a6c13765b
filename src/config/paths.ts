import { realpathSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

const GLOB_CHARS = /[*?[{]/;

/** The folder part of a path or glob: everything before the first segment with a wildcard. */
export function staticPrefix(p: string): string {
  const parts = p.split(path.sep);
  const i = parts.findIndex((s) => GLOB_CHARS.test(s));
  return i === -1 ? p : parts.slice(0, i).join(path.sep) || path.sep;
}

export const isGlob = (p: string) => GLOB_CHARS.test(p);

export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * An absolute path with every symbolic link resolved. A path that does not exist (yet) resolves
 * its nearest existing ancestor and keeps the rest as written, so a link higher up still counts.
 */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync.native(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(realPath(parent), path.basename(abs));
  }
}

/** True when the path, with its links resolved, lies inside one of the (already resolved) roots. */
export function insideRoots(p: string, roots: string[]): boolean {
  const real = realPath(p);
  return roots.some((root) => isInside(root, real));
}

/**
 * Resolves a configured or requested data path against the config folder and refuses anything
 * outside the configured data roots, so a trigger payload or a config typo cannot read /etc.
 * Checked after resolving symbolic links: a link inside a root that points outside it is outside.
 * For a glob, the folder before the first wildcard is checked here; every file it expands to is
 * checked again when the data is read (src/data/fingerprint.ts datasetFiles).
 */
export function resolveDataPath(p: string, baseDir: string, roots: string[], field: string): string {
  if (p.includes('\0')) throw new ConfigError(`${field}: path contains a NUL byte`, { field });
  const resolved = path.resolve(baseDir, p);
  const prefix = staticPrefix(resolved);
  const realRoots = roots.map(realPath);
  const real = realPath(prefix);
  if (!realRoots.some((root) => isInside(root, real))) {
    const how = roots.some((root) => isInside(root, prefix)) ? ` through a symbolic link to ${real},` : '';
    throw new ConfigError(`${field}: path ${JSON.stringify(p)} resolves${how} outside the data roots (${roots.join(', ')})`, {
      field,
      value: p,
    });
  }
  return resolved;
}
