import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FailureType, RetrainError } from '../errors.js';
import { listFiles } from '../registry/hash-dir.js';
import { withOwnTemp } from '../registry/temp-files.js';
import type { DataEngine, DataFormat } from './engine.js';
import { cachedFingerprint, datasetFiles, describe, type ColumnSchema, type DataFingerprint } from './fingerprint.js';
import type { StatCache } from './stat-cache.js';

/** One immutable copy of a run's data; every step after the decision to retrain reads this, never the source. */
export interface DataSnapshot {
  /** The configured path or glob the bytes came from (for messages). */
  source: string;
  /** Path (or glob) of the copy, with the source's file names, so format detection still works. */
  location: string;
  /** sha256 of the very bytes copied (files in sorted order, as the check's fingerprint hashes them). */
  fingerprint: DataFingerprint;
  /** The same content was already snapshotted (by an earlier run); nothing new was kept. */
  reused: boolean;
}

const GLOB_CHARS = /[*?[{]/;

/** The folder the source's files are kept relative to, and the rest of the path (or glob) under it. */
function splitSource(source: string): { base: string; rest: string } {
  const parts = source.split(path.sep);
  const i = parts.findIndex((s) => GLOB_CHARS.test(s));
  if (i === -1) return { base: path.dirname(source), rest: path.basename(source) };
  return { base: parts.slice(0, i).join(path.sep) || path.sep, rest: parts.slice(i).join(path.sep) };
}

/** Names and sizes of a folder's files: two snapshots with equal bytes but another split are not the same. */
async function manifest(dir: string): Promise<string> {
  const files = await listFiles(dir);
  const sizes = await Promise.all(files.map(async (f) => `${f}\0${(await stat(path.join(dir, f))).size}`));
  return sizes.join('\n');
}

/**
 * Copies the source file(s) byte for byte into `root/<sha256>/…`, hashing the very chunks it
 * writes, so the hash, the row count and every later reader see one state of the data even when
 * the source is rewritten or appended to meanwhile. The copy is written under a temp name owned
 * by `owner` (a retry removes its own leftovers) and renamed into place; equal content reuses the
 * existing folder. Files are made read-only: a training command has no business writing them.
 */
export async function snapshotData(
  engine: DataEngine,
  opts: { source: string; format: DataFormat; root: string; owner: string; dataRoots?: readonly string[]; onProgress?: (bytes: number) => void; cache?: StatCache },
): Promise<DataSnapshot> {
  const { source, root } = opts;
  // Every file a glob expands to is checked against the data roots after resolving links.
  const files = await datasetFiles(engine, source, opts.dataRoots);
  const vouched = () => (opts.cache ? cachedFingerprint(engine, source, opts.format, opts.dataRoots, opts.cache).catch(() => null) : Promise.resolve(null));
  const before = await vouched();
  const { base, rest } = splitSource(source);
  // The state of a one-file source as the copy begins: an unchanged source lends the copy its sniffed CSV dialect.
  const single = files.length === 1 && !GLOB_CHARS.test(source) ? files[0]! : null;
  const sourceState = single ? await engine.fileState(single) : null;
  return withOwnTemp(path.join(root, 'incoming'), opts.owner, async (tmp) => {
    await mkdir(tmp, { recursive: true });
    const hash = createHash('sha256');
    let bytes = 0;
    for (const file of files) {
      const rel = path.relative(base, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new RetrainError(FailureType.DataSource, `${file}: matched by ${source} but outside its folder ${base}`, { file });
      }
      const out = path.join(tmp, rel);
      await mkdir(path.dirname(out), { recursive: true });
      const tee = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          bytes += chunk.length;
          opts.onProgress?.(bytes);
          done(null, chunk);
        },
      });
      await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), tee, createWriteStream(out, { flags: 'wx' })).catch((err: NodeJS.ErrnoException) => {
        throw new RetrainError(FailureType.DataSource, `snapshot of ${file} into ${out} failed: ${err.code ?? ''} ${err.message}`.trim(), { file, code: err.code });
      });
      await chmod(out, 0o444);
    }
    const sha256 = hash.digest('hex');
    const dir = await place(tmp, root, sha256);
    const location = path.join(dir.path, rest);
    // Only when the bytes copied are those the stat cache vouched for before the copy: a symlinked source swapped to
    // another file for the copy and back keeps its state (the link's path, its target's inode and times), not its bytes.
    if (single && before?.sha256 === sha256) await engine.adoptDialect(location, source, single, sourceState);
    const { rows, schema } = await rowsAndSchema(engine, location, opts.format, source, sha256, before, before?.sha256 === sha256 ? await vouched() : null);
    // The check saw rows; if the source was emptied since, the snapshot says so instead of training on nothing.
    if (rows === 0) throw new RetrainError(FailureType.DataSource, `${source}: no data rows when the run took its snapshot (sha256 ${sha256})`, { file: source });
    return { source, location, fingerprint: { sha256, files: files.length, bytes, rows, schema }, reused: dir.reused };
  });
}

/**
 * The copy's row count and schema. The stat cache vouched for the source's files before the copy and
 * again after it, with the sha256 of the bytes copied: the copy is the state the cache counted and
 * described (same bytes, same reader), so its answer stands in for a full scan of the copy.
 */
async function rowsAndSchema(
  engine: DataEngine,
  location: string,
  format: DataFormat,
  source: string,
  sha256: string,
  before: DataFingerprint | null,
  after: DataFingerprint | null,
): Promise<{ rows: number; schema: ColumnSchema[] }> {
  if (before && after && before.sha256 === sha256 && after.sha256 === sha256) return { rows: after.rows, schema: after.schema };
  const [schema, [count]] = await Promise.all([
    describe(engine, location, format),
    // The reader describe() sniffed (once per file state), not a second sniff inside the count.
    engine.reader(location, format).then((from) => engine.rows(`SELECT count(*)::BIGINT AS n FROM ${from}`, [location], source)),
  ]);
  return { rows: Number(count?.n ?? 0), schema };
}

/** Renames the finished copy to its content address, or reuses an equal copy already there. */
async function place(tmp: string, root: string, sha256: string): Promise<{ path: string; reused: boolean }> {
  let dest = path.join(root, sha256);
  const mine = await manifest(tmp);
  if (existsSync(dest) && (await manifest(dest)) !== mine) {
    // Same bytes in sequence, split into other files: a different snapshot, kept beside it.
    dest = `${dest}-${createHash('sha256').update(mine).digest('hex').slice(0, 12)}`;
  }
  if (existsSync(dest)) {
    const now = new Date();
    await utimes(dest, now, now);
    return { path: dest, reused: true };
  }
  try {
    await rename(tmp, dest);
    return { path: dest, reused: false };
  } catch (err) {
    // Another run placed the same content a moment ago: theirs is as good as ours.
    if (existsSync(dest)) return { path: dest, reused: true };
    throw err;
  }
}

/**
 * Retention: snapshot folders referenced by a registered version are kept (they are its exact
 * training data); others (runs that failed before register) are removed once older than
 * `olderThanMs`, which must outlast any run still between its snapshot and its register step.
 */
export async function pruneSnapshots(root: string, keep: Set<string>, olderThanMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (name.endsWith('.tmp') || keep.has(name.slice(0, 64))) continue;
    if (!/^[0-9a-f]{64}(-[0-9a-f]{12})?$/.test(name)) continue;
    const info = await stat(path.join(root, name)).catch(() => null);
    if (!info || now - info.mtimeMs < olderThanMs) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
