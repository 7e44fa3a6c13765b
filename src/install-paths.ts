import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where this installation lives. The same code runs from a clone (TypeScript through tsx, src/)
 * and from the npm package (compiled, dist/src/), so the root is found by walking up to our own
 * package.json rather than by counting folders.
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'temporal-retrain') return dir;
    if (path.dirname(dir) === dir) throw new Error(`temporal-retrain: no package.json of ours above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(import.meta.dirname);

/** Running the TypeScript sources of a clone (tests, npm start), not the published build. */
export const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Slow-to-build tools (the Temporal CLI, the cluster's server binaries) are cached per user,
 * outside any clone or project, keyed by version: a fresh clone or a new project reuses them.
 */
export function cacheDir(...parts: string[]): string {
  const base = process.env.RETRAIN_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'temporal-retrain');
  return path.join(base, ...parts);
}
