import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { sweepStaleTempsNowAndThen } from './temp-files.js';

/** Holds an inter-process lock on `dir` while `fn` runs; stale locks of dead processes expire. */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const release = await lockfile.lock(dir, {
    // The lock is the mkdir of lockfilePath, whatever path names the folder: resolving links first (the library's JS
    // realpath, an lstat for each part of the path on every lock) changes nothing but its cost.
    realpath: false,
    lockfilePath: path.join(dir, '.lock'),
    stale: 10_000,
    retries: { retries: 200, minTimeout: 10, maxTimeout: 200, randomize: true },
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}

export async function readJson<T>(file: string, fallback: T): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
}

/** Write-then-rename: a reader or a crash sees the old file or the new one, never half of one. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  // A writer killed between write and rename left its temp file; sweep those once old.
  await sweepStaleTempsNowAndThen(path.dirname(file));
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, file);
}
