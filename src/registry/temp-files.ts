import { createHash } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Temp copies are named after their final path and their owner (a run id), not a random uuid:
 * a retry of a killed attempt finds its own half-written copy under the same name and removes it,
 * while a copy another run is writing at the same moment has another name and is left alone.
 */
export function tempNameFor(dest: string, owner: string): string {
  return `${dest}.${createHash('sha256').update(owner).digest('hex').slice(0, 16)}.tmp`;
}

/** Older than this, a `*.tmp` sibling cannot be a copy in progress: its writer died. */
export const STALE_TEMP_MS = 60 * 60_000;

/**
 * Removes `*.tmp` entries in `dir` whose writer is gone: older than `olderThanMs` (by mtime).
 * Runs before a new copy, so the leftovers of killed workers do not pile up forever.
 */
export async function sweepStaleTemps(dir: string, olderThanMs = STALE_TEMP_MS, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.tmp'))) {
    const file = path.join(dir, name);
    const info = await stat(file).catch(() => null);
    if (!info || now - info.mtimeMs < olderThanMs) continue;
    await rm(file, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
