import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { FailureType, RetrainError } from '../errors.js';
import type { DataEngine, DataFormat } from './engine.js';
import { diagnoseCsv } from './csv-diagnose.js';
import { duplicateColumns, readCsvHeader, parquetTopLevelNames } from './header.js';
import { isInside, realPath } from '../config/paths.js';
import { datasetKey, sameStamp, type StatCache } from './stat-cache.js';

/** Schemas up to this many columns are kept in the stat cache with their dataset (a wider one is read again on a hit). */
const CACHED_SCHEMA_COLUMNS = 2000;

export interface ColumnSchema {
  name: string;
  type: string;
}

export interface DataFingerprint {
  sha256: string;
  files: number;
  bytes: number;
  rows: number;
  schema: ColumnSchema[];
}

/**
 * The files a path or glob names, sorted, so the hash does not depend on directory order.
 * With `roots`, every file must resolve (symbolic links followed, as DuckDB follows them) inside
 * one of them: a link inside a data root that points outside it is refused, not read.
 */
export async function datasetFiles(engine: DataEngine, location: string, roots?: readonly string[]): Promise<string[]> {
  const files = await engine.files(location);
  if (files.length === 0) throw new RetrainError(FailureType.DataSource, `${location}: no such file`, { file: location });
  if (roots) {
    const realRoots = roots.map(realPath);
    for (const file of files) {
      const real = realPath(file);
      if (!realRoots.some((root) => isInside(root, real))) {
        throw new RetrainError(
          FailureType.DataSource,
          `${location}: ${file} resolves through a symbolic link to ${real}, outside the data roots (${roots.join(', ')})`,
          { file, value: location },
        );
      }
    }
  }
  return files;
}

/**
 * sha256 over every file's bytes in sorted order, streamed; plus row count and schema from DuckDB,
 * read meanwhile. With a stat cache, files whose stamps are trusted are not read again, and a
 * dataset whose files all hit takes its row count from the cache too; schema and duplicate
 * columns are always checked (cheap: header and metadata only).
 */
export async function fingerprint(
  engine: DataEngine,
  location: string,
  format: DataFormat = 'auto',
  roots?: readonly string[],
  opts: { cache?: StatCache } = {},
): Promise<DataFingerprint> {
  const files = await datasetFiles(engine, location, roots);
  const cache = opts.cache;
  const { hit, known } = await fromStatCache(engine, files, location, format, cache);
  if (hit) return hit;
  // The hash streams meanwhile; the two queries run one after the other, since on a wide CSV each
  // holds a buffer per column and two at once can exceed DuckDB's memory limit.
  const hashing = hashFiles(files, cache, known);
  hashing.catch(() => {});
  const schema = await describe(engine, location, format);
  const [count] = await engine.rows(`SELECT count(*)::BIGINT AS n FROM ${await engine.reader(location, format)}`, [location], location);
  const { sha256, bytes, perFile } = await hashing;
  const rows = Number(count?.n ?? 0);
  if (cache && perFile) {
    // Kept only when every file was stable while it was hashed (else perFile is null).
    await cache.putDataset(datasetKey(format, perFile), { sha256, rows, ...(schema.length <= CACHED_SCHEMA_COLUMNS ? { schema, schemaBy: engine.version } : {}) });
    await cache.flush();
  }
  return { sha256, files: files.length, bytes, rows, schema };
}

/**
 * The fingerprint as the stat cache knows it, or null when any file is new, changed or untrusted
 * (see StatCache.trusted): what a caller that must not hash (the controller's quick check) asks.
 */
export async function cachedFingerprint(engine: DataEngine, location: string, format: DataFormat, roots: readonly string[] | undefined, cache: StatCache): Promise<DataFingerprint | null> {
  const files = await datasetFiles(engine, location, roots);
  return (await fromStatCache(engine, files, location, format, cache)).hit;
}

/** The cache's answer for these files: the whole fingerprint on a hit, else the per-file hashes it still knows. */
async function fromStatCache(engine: DataEngine, files: string[], location: string, format: DataFormat, cache: StatCache | undefined): Promise<{ hit: DataFingerprint | null; known: (string | undefined)[] }> {
  if (!cache) return { hit: null, known: [] };
  const stamps = await Promise.all(files.map((f) => cache.stamp(f).catch(() => null)));
  const known = stamps.every(Boolean) ? await Promise.all(stamps.map((s) => cache.fileSha(s!))) : [];
  const key = known.length && known.every(Boolean) ? datasetKey(format, stamps.map((s, i) => ({ path: s!.path, sha256: known[i]! }))) : undefined;
  const entry = key ? await cache.dataset(key) : undefined;
  if (!entry) return { hit: null, known };
  // The same bytes have the same schema, as long as the same DuckDB reads them.
  const schema = entry.schema && entry.schemaBy === engine.version ? entry.schema : await describe(engine, location, format);
  return { hit: { sha256: entry.sha256, files: files.length, bytes: stamps.reduce((n, s) => n + Number(s!.size), 0), rows: entry.rows, schema }, known };
}

/**
 * The dataset's sha256 (over the files in order) and, with a cache, each file's own sha256 for
 * its entry. One file: both are the same hash. Several: a file the cache already knows is hashed
 * once (into the dataset's hash); the others twice, since sha256 cannot be resumed midway.
 */
async function hashFiles(files: string[], cache?: StatCache, known: (string | undefined)[] = []): Promise<{ sha256: string; bytes: number; perFile: { path: string; sha256: string }[] | null }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let perFile: { path: string; sha256: string }[] | null = cache ? [] : null;
  for (const [i, file] of files.entries()) {
    const before = cache ? await cache.stamp(file).catch(() => null) : null;
    const hashedAt = cache?.nowNs() ?? 0n;
    const own = files.length > 1 && !known[i] ? createHash('sha256') : null;
    bytes += (await stat(file)).size;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      own?.update(chunk as Buffer);
    }
    if (!cache || !before || !perFile) {
      perFile = null;
      continue;
    }
    const after = await cache.stamp(file).catch(() => null);
    if (!after || !sameStamp(before, after)) {
      perFile = null; // changed while being read: the hash matches no one state of it
      continue;
    }
    const sha = known[i] ?? own?.copy().digest('hex') ?? hash.copy().digest('hex');
    // Declined when the file was written too recently to be trusted later; the next check re-hashes it.
    if (!known[i]) await cache.putFile(before, after, sha, hashedAt);
    perFile.push({ path: before.path, sha256: sha });
  }
  return { sha256: hash.digest('hex'), bytes, perFile };
}

export async function describe(engine: DataEngine, location: string, format: DataFormat = 'auto'): Promise<ColumnSchema[]> {
  // A sniffed CSV's reader names its columns and types: DESCRIBE would answer those, so it is not asked.
  const { reader, columns } = await engine.readerAndColumns(location, format);
  const schema = columns ?? (await engine.rows(`DESCRIBE SELECT * FROM ${reader}`, [location], location)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  // DuckDB's sniffer falls back to one column per line when rows disagree; that is a malformed file, not data.
  if (schema.length === 1 && /[,;\t|]/.test(schema[0]!.name) && reader.startsWith('read_csv')) {
    const files = await datasetFiles(engine, location);
    for (const file of files) {
      const why = await diagnoseCsv(file);
      if (why) throw new RetrainError(FailureType.DataSource, `${file}: malformed CSV: ${why}`, { file });
    }
    throw new RetrainError(FailureType.DataSource, `${location}: malformed CSV: could not split the header ${JSON.stringify(schema[0]!.name.slice(0, 80))} into columns`, { file: location });
  }
  await refuseDuplicateColumns(engine, location, reader, schema);
  return schema;
}

/**
 * DuckDB renames a repeated column name (`x`, `x` → `x`, `x_1`; names differing only in case
 * count as the same) and would then test and train on a column nobody named. The names as the
 * file spells them are read from the CSV header line or the Parquet schema; a repeat is refused.
 */
async function refuseDuplicateColumns(engine: DataEngine, location: string, reader: string, schema: ColumnSchema[]): Promise<void> {
  const csv = reader.startsWith('read_csv');
  if (!csv && !reader.startsWith('read_parquet')) return;
  const files = await datasetFiles(engine, location);
  for (const file of files) {
    let names: string[] | null;
    if (csv) names = await readCsvHeader(file, schema.length);
    else names = parquetTopLevelNames(await engine.rows('SELECT name, num_children FROM parquet_schema($1)', [file], file));
    const dups = names ? duplicateColumns(names) : [];
    if (dups.length > 0) {
      const shown = dups.map((d) => d.map((n) => JSON.stringify(n)).join(' and ')).join('; ');
      throw new RetrainError(FailureType.DataSource, `${file}: duplicate column names: ${shown} (names that differ only in case are the same column to DuckDB); rename them`, {
        file,
        columns: dups,
      });
    }
  }
}
