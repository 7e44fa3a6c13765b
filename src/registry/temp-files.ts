import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { dueEvery } from '../housekeeping.js';

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

/** A folder's stale temps are swept at most once a minute by this process: a leftover is an hour old before it counts. */
const sweepDue = dueEvery(60_000);

/** sweepStaleTemps, when this process has not swept `dir` in the last minute: what every write calls. */
export async function sweepStaleTempsNowAndThen(dir: string): Promise<void> {
  if (sweepDue(dir)) await sweepStaleTemps(dir);
}

/** rm -rf, with one lstat when nothing is there (the usual case here): rm itself looks twice before it finds nothing. */
async function removeIfPresent(file: string): Promise<void> {
  if (await lstat(file).then(() => true, () => false)) await rm(file, { recursive: true, force: true });
}

/**
 * Runs `write(tmp)` with the run's own temp name for `dest`, then removes whatever is left of it.
 * Stale leftovers of other runs are swept first (now and then). Two attempts of the same run (a retry while a
 * timed-out attempt still runs) take turns on a lock, so the retry may safely remove the half
 * copy a killed attempt left under that name; a killed holder's lock goes stale in seconds.
 */
export async function withOwnTemp<T>(dest: string, owner: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const dir = path.dirname(dest);
  await mkdir(dir, { recursive: true });
  await sweepStaleTempsNowAndThen(dir);
  const tmp = tempNameFor(dest, owner);
  // Named *.tmp too, so a lock left by a killed process is swept like its copy once old.
  const release = await lockfile.lock(tmp, {
    realpath: false,
    lockfilePath: `${tmp}.lock.tmp`,
    stale: 10_000,
    retries: { retries: 1000, minTimeout: 20, maxTimeout: 500, randomize: true },
  });
  try {
    await removeIfPresent(tmp);
    return await write(tmp);
  } finally {
    await removeIfPresent(tmp);
    await release();
  }
}
