import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DriftConfig } from '../../config/model-schema.js';
import { isNumeric, logicalType, type LogicalType } from '../column-types.js';
import { detectFormat, ident, type DataEngine } from '../engine.js';
import { describe } from '../fingerprint.js';
import { filledShares, jensenShannon, linf, psi, shares } from './binned.js';
import { batchedCategoryCounts, categoryCounts, type CategoryCounts, type TooManyCategories } from './categorical.js';
import { categoricalHistogram, numericHistogram, type DriftHistogram } from './histogram.js';
import { withColumnBuffers } from './column-buffers.js';
import { columnsPerSort, numericStats, rowCount, scanOf, sideFacts, sortedBatch, statsOfSorted, type NumericStats, type Scan, type Side, type SortedSide } from './numeric.js';
import { DRIFT_VALUE_BUDGET, sampleSize, type Sampled } from './budget.js';
import { parquetSampleScan, sampleTable } from './sample.js';
import { chi2Sf, normTwoSided } from './special.js';
import { MIN_CACHED_VALUES, type SideKey, type SortedColumnCache } from './sorted-cache.js';

export type DriftTest = 'ks' | 'wasserstein' | 'psi' | 'jensenshannon' | 'chisquare' | 'ztest' | 'linf';

/** p-value tests drift when p < threshold; distance tests drift when distance >= threshold. */
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set(['ks', 'chisquare', 'ztest']);
/** Exported for per-segment drift (segments.ts), which applies the same tests. */
export const DEFAULT_THRESHOLD: Record<DriftTest, number> = { ks: 0.05, chisquare: 0.05, ztest: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1, linf: 0.1 };
const MAX_CATEGORIES = 10_000;

/** Non-null counts per side and distinct values over both, computed in DuckDB. */
async function distinctCount(engine: DataEngine, column: string, ref: Side, cur: Side) {
  const col = ident(column);
  const [r] = await engine.rows(
    `SELECT count(DISTINCT v) AS d, count(*) FILTER (WHERE s = 0) AS a, count(*) FILTER (WHERE s = 1) AS b FROM (
       SELECT 0 AS s, ${col} AS v FROM ${await engine.reader(ref.location, ref.format, 1)} WHERE ${col} IS NOT NULL
       UNION ALL SELECT 1 AS s, ${col} AS v FROM ${await engine.reader(cur.location, cur.format, 2)} WHERE ${col} IS NOT NULL)`,
    [ref.location, cur.location],
    `${ref.location} vs ${cur.location}`,
  );
  return { distinct: Number(r?.d ?? 0), nRef: Number(r?.a ?? 0), nCur: Number(r?.b ?? 0) };
}

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  test: DriftTest;
  statistic: number;
  pValue: number | null;
  threshold: number;
  drifted: boolean;
  /** Every statistic computed for the column, so an audit can show more than the deciding one. */
  stats: Record<string, number>;
  note?: string;
  /** Why the column was not tested (a nested type); such columns do not count in the drifted share. */
  skipped?: string;
  /** The binned counts the test compared (absent in reports written before 0.3): the HTML report draws them. */
  histogram?: DriftHistogram;
  /** The side(s) whose statistics came from a row sample (the value budget), and of how many rows. */
  sampled?: SampledSides;
}

export interface SampledSides {
  reference?: Sampled;
  current?: Sampled;
}

export interface DriftReport {
  reference: string;
  current: string;
  columns: ColumnDrift[];
  driftedShare: number;
  datasetShareThreshold: number;
  datasetDrift: boolean;
  /** Present when a side had more numeric values than the budget: its numeric columns were tested on a row sample. */
  sampled?: SampledSides & { valueBudget: number };
}

/** Evidently's DataDriftPreset defaults: p-value tests on small references, effect sizes on large. */
export function defaultTest(kind: 'numeric' | 'categorical', refRows: number, distinct: number, smallRows: number): DriftTest {
  const small = refRows <= smallRows;
  if (kind === 'numeric' && distinct > 5) return small ? 'ks' : 'wasserstein';
  if (small) return distinct > 2 ? 'chisquare' : 'ztest';
  return 'jensenshannon';
}

export interface DriftOptions extends Partial<DriftConfig> {
  exclude?: string[];
  /** Columns reported but not tested, with the reason (e.g. row identifiers); they do not count in the share. */
  skip?: Record<string, string>;
  /** Test and threshold for every column without its own override. */
  allColumns?: { test?: DriftTest; threshold?: number };
  /** Where the reference side's sorted columns are kept between reports (a large, unsampled reference only). */
  referenceCache?: SortedColumnCache;
}

/** A side as the numeric batches read it: its file, or a sample table of it (dropped when done). */
const TABLE_MAX_COLUMNS = 1000;

async function numericScan(engine: DataEngine, side: Side & { rows: number }, columns: string[], n: number | null): Promise<{ scan: Scan; sampled?: Sampled; drop?: () => Promise<void>; at?: (slot: number) => string }> {
  const parquet = (side.format === 'auto' ? detectFormat(side.location) : side.format) === 'parquet';
  // A CSV or JSON sample is a DuckDB table of all numeric columns, and a table takes a 256 KiB block per
  // column: past TABLE_MAX_COLUMNS that outgrows DuckDB's memory (10,000 columns did), so such a side stays exact.
  if (n === null || (!parquet && columns.length > TABLE_MAX_COLUMNS)) return { scan: await scanOf(engine, side) };
  if (parquet) {
    const p = await parquetSampleScan(engine, side, n);
    // Each batch streams its columns' sampled rows: one filtered read per batch, no table.
    return { scan: { from: p.from, params: p.params, rows: p.rows, label: side.location }, sampled: { rows: p.rows, of: side.rows }, at: p.at };
  }
  try {
    const t = await sampleTable(engine, side, columns, n);
    return { scan: { from: t.table, params: [], rows: t.rows, label: side.location }, sampled: { rows: t.rows, of: side.rows }, drop: t.drop };
  } catch (err) {
    // A value that does not fit its column's type fails the sample; the exact path then isolates the column.
    if (!isConversionError(err)) throw err;
    return { scan: await scanOf(engine, side) };
  }
}

/**
 * Batches at once with the whole reference cached: three keep both drift threads busy (one lane reads while two
 * sort or compare; two lanes left the threads idle between columns: 11.8 s against 10.2 s at 10M × 20, 730 MiB
 * peak against 720). Each lane holds up to a column of both sides and a sort's scratch, 24 bytes a row, so
 * above LANES_MAX_ROWS rows a side (about 1.3 GB at 20M) batches go one at a time.
 */
const CACHED_LANES = 3;
const LANES_MAX_ROWS = 20_000_000;

/** Numeric batches wider than this read their two sides one after the other. */
const WIDE_BATCH_COLUMNS = 64;

/** A CSV or JSON side wider than this is turned into a temporary Parquet file once, before any column is read. */
export const WIDE_TEXT_COLUMNS = 500;

export async function detectDrift(engine: DataEngine, refSide: Side, curSide: Side, opts: DriftOptions = {}): Promise<DriftReport> {
  // Drift reads a side once per batch of columns; a wide CSV would be parsed again for each batch (72 parses of a
  // 10,000-column file), while Parquet is read by column. So a wide text side is converted once, and the report
  // still names the files as given.
  const tmp = await mkdtemp(path.join(tmpdir(), 'retrain-drift-'));
  try {
    const ref = await columnarSide(engine, refSide, path.join(tmp, 'reference.parquet'));
    const cur = await columnarSide(engine, curSide, path.join(tmp, 'current.parquet'));
    const report = await withColumnBuffers(() => detectDriftOn(engine, ref, cur, opts));
    return { ...report, reference: refSide.location, current: curSide.location };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function columnarSide(engine: DataEngine, side: Side, file: string): Promise<Side> {
  const format = side.format === 'auto' ? detectFormat(side.location) : side.format;
  if (format === 'parquet') return side;
  const schema = await describe(engine, side.location, side.format);
  if (schema.length <= WIDE_TEXT_COLUMNS) return side;
  const from = await engine.reader(side.location, side.format);
  // Small row groups bound the writer's buffer: one row group holds every column. The target is our own temp path.
  await engine.rows(`COPY (SELECT * FROM ${from}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`, [side.location], side.location);
  return { location: file, format: 'parquet', ...(side.rows !== undefined ? { rows: side.rows } : {}) };
}

async function detectDriftOn(engine: DataEngine, refSide: Side, curSide: Side, opts: DriftOptions): Promise<DriftReport> {
  // Counted once, so every column read knows how many values it can hold.
  const ref = { ...refSide, rows: await rowCount(engine, refSide) };
  const cur = { ...curSide, rows: await rowCount(engine, curSide) };
  const refSchema = await describe(engine, ref.location, ref.format);
  const curTypes = new Map((await describe(engine, cur.location, cur.format)).map((c) => [c.name, c.type]));
  const order = new Map(refSchema.map((c, i) => [c.name, i]));
  const chosen = refSchema.filter((c) => curTypes.has(c.name) && !(opts.exclude ?? []).includes(c.name) && (!opts.columns || opts.columns.includes(c.name)));
  const columns: ColumnDrift[] = [];
  const tested: { name: string; type: LogicalType; override: { test?: DriftTest | undefined; threshold?: number | undefined } }[] = [];
  for (const c of chosen) {
    const kind = isNumeric(logicalType(c.type)) ? 'numeric' : 'categorical';
    const override = opts.overrides?.[c.name] ?? opts.allColumns ?? {};
    const curType = curTypes.get(c.name)!;
    const skipWhy = opts.skip?.[c.name];
    if (skipWhy) {
      const test = override.test ?? (kind === 'numeric' ? 'ks' : 'chisquare');
      columns.push({ column: c.name, kind, test, statistic: NaN, pValue: null, threshold: override.threshold ?? DEFAULT_THRESHOLD[test], drifted: false, stats: {}, skipped: skipWhy });
      continue;
    }
    const nested = nestedType(c.type) ?? nestedType(curType);
    if (nested) {
      // Text categories of whole structs or lists would differ between any two samples: never a false drift.
      const test = override.test ?? 'chisquare';
      columns.push({ column: c.name, kind, test, statistic: NaN, pValue: null, threshold: override.threshold ?? DEFAULT_THRESHOLD[test], drifted: false, stats: {}, skipped: `nested type ${nested} is not drift-tested` });
      continue;
    }
    if (isNumeric(logicalType(curType)) !== (kind === 'numeric')) {
      // A numeric column that now holds text (or the reverse) has drifted by definition; comparing values would only fail.
      const test = override.test ?? (kind === 'numeric' ? 'ks' : 'chisquare');
      const note = `type changed: ${logicalType(c.type)} (${c.type}) → ${logicalType(curType)} (${curType})`;
      columns.push({ column: c.name, kind, test, statistic: NaN, pValue: null, threshold: override.threshold ?? DEFAULT_THRESHOLD[test], drifted: true, stats: {}, note });
      continue;
    }
    tested.push({ name: c.name, type: logicalType(c.type), override });
  }
  // Numeric columns: sorted in batches (one scan per batch and side), then tested one by one. A side
  // over the value budget is first sampled (one pass), and the batches sort the sample instead.
  const numeric = tested.filter((t) => isNumeric(t.type));
  const smallRows = opts.smallReferenceRows ?? 1000;
  const valueBudget = opts.exact ? Infinity : (opts.valueBudget ?? DRIFT_VALUE_BUDGET);
  const names = numeric.map((t) => t.name);
  const refScan = await numericScan(engine, ref, names, sampleSize(ref.rows, names.length, valueBudget, smallRows));
  const curScan = await numericScan(engine, cur, names, sampleSize(cur.rows, names.length, valueBudget, smallRows)).catch(async (err: unknown) => {
    await refScan.drop?.();
    throw err;
  });
  const sampled: SampledSides = { ...(refScan.sampled ? { reference: refScan.sampled } : {}), ...(curScan.sampled ? { current: curScan.sampled } : {}) };
  const per = Math.min(columnsPerSort(refScan.scan.rows), columnsPerSort(curScan.scan.rows));
  const stats = new Map<string, NumericStats>();
  // An exact read of a large reference can come sorted from the cache, and go there after its first sort.
  const cache = opts.referenceCache && !refScan.sampled && ref.rows >= MIN_CACHED_VALUES && names.length && opts.referenceCache.fits(ref.rows, names.length) ? opts.referenceCache : undefined;
  const refKey = cache ? await cache.sideKey(await engine.files(ref.location), engine.version) : null;
  const refSorted = (batch: string[]) => (cache && refKey ? cachedSorted(engine, batch, refScan.scan, cache, refKey) : sortedBatch(engine, batch, refScan.scan));
  let lanes = 1;
  const runBatch = async (i: number) => {
    const batch = names.slice(i, i + per);
    try {
      // Both sides at once: their reads interleave and their sorts run on two threads (drift-threads.ts). A wide batch
      // reads one side after the other: each read holds a Parquet column reader per column (10,000 columns: 1.5 GB
      // peak RSS at once, against 1.1 GB one side at a time), and its few rows sort in no time. With the reference
      // cached (lanes), the current side is read and sorted first and the reference read back only then, so a lane
      // that waits for a thread holds one side's values, not two.
      const [a, b] =
        lanes > 1
          ? await sortedBatch(engine, batch, curScan.scan).then(async (cur): Promise<[SortedSide[], SortedSide[]]> => [await refSorted(batch), cur])
          : batch.length <= WIDE_BATCH_COLUMNS
            ? await bothSettled(refSorted(batch), sortedBatch(engine, batch, curScan.scan))
            : [await refSorted(batch), await sortedBatch(engine, batch, curScan.scan)];
      for (const [k, name] of batch.entries()) stats.set(name, await statsOfSorted(a[k]!, b[k]!, numeric[i + k]!.type === 'integer'));
    } catch (err) {
      // A value that does not fit its column's type fails the whole batch; the columns then go one by one below.
      if (!isConversionError(err)) throw err;
    }
  };
  // Text (and other non-numeric) columns: exact counts, many columns per scan of each side. Counted while the
  // numeric columns sort: DuckDB's threads take the cores the drift threads leave idle (the last sorts of a report).
  const textCounts = batchedCategoryCounts(engine, tested.filter((t) => !isNumeric(t.type)).map((t) => t.name), ref, cur, MAX_CATEGORIES, {
    ...(refScan.at ? { ref: refScan.at, refRows: refScan.scan.rows } : {}),
    ...(curScan.at ? { cur: curScan.at, curRows: curScan.scan.rows } : {}),
  }).catch((err: unknown) => {
    // As for the numeric batches: the columns then go one by one, which isolates the one that does not fit.
    if (!isConversionError(err)) throw err;
    return new Map<string, CategoryCounts | TooManyCategories>();
  });
  void textCounts.catch(() => undefined); // handled now: a failure waits for the numeric columns, then is thrown below
  try {
    const starts = Array.from({ length: Math.ceil(numeric.length / per) }, (_, k) => k * per);
    // With the whole reference cached a batch sorts one side only: three batches at once keep both drift threads
    // busy, one reading while two sort and compare. A lane holds up to a column of both sides and a sort's scratch
    // (24 bytes a row): several only up to LANES_MAX_ROWS.
    lanes = cache && refKey && ref.rows <= LANES_MAX_ROWS && cur.rows <= LANES_MAX_ROWS && (await cache.hasAll(refKey, names)) ? CACHED_LANES : 1;
    let next = 0;
    let failed = false;
    // A lane that fails stops the others at their next batch, and the report fails once all have stopped: no read
    // or sort of this report outlives it (its scans are dropped and its temporary files deleted below).
    const lane = async () => {
      while (!failed && next < starts.length) await runBatch(starts[next++]!).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    };
    const settled = await Promise.allSettled(Array.from({ length: lanes }, lane));
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  } finally {
    await refScan.drop?.();
    await curScan.drop?.();
    // Settled before the report returns or fails, so no query outlives it (its own error is awaited below).
    await textCounts.catch(() => undefined);
  }
  const counts = await textCounts;
  // Numeric columns with a handful of values are compared as categories, exactly and over every row: counted in
  // batches too (one query per column re-reads a wide file's footer each time: 1,000 such columns took 108 s).
  const fewValues = tested.filter((t) => isNumeric(t.type) && (stats.get(t.name)?.distinct ?? Infinity) <= 5).map((t) => t.name);
  if (fewValues.length > 0) {
    try {
      for (const [name, c] of await batchedCategoryCounts(engine, fewValues, ref, cur, MAX_CATEGORIES)) counts.set(name, c);
    } catch (err) {
      if (!isConversionError(err)) throw err;
    }
  }
  for (const t of tested) {
    try {
      const batched = stats.get(t.name);
      // Only the batched statistics come from the sample; a column that fell back to its own sort is exact.
      const onSample: SampledSides = { ...(refScan.at ? { reference: refScan.sampled! } : {}), ...(curScan.at ? { current: curScan.sampled! } : {}) };
      const fromSample = batched && Object.keys(sampled).length ? sampled : counts.has(t.name) && Object.keys(onSample).length ? onSample : undefined;
      columns.push(await columnDrift(engine, t.name, t.type, ref, cur, smallRows, t.override, batched, fromSample, counts.get(t.name)));
    } catch (err) {
      if (!isConversionError(err)) throw err;
      // Validation reports the value with its row (and stops the run); drift cannot measure the column.
      const test = t.override.test ?? (isNumeric(t.type) ? 'ks' : 'chisquare');
      const why = (err as Error).message.replace(/^.*?cannot read data: /, '').slice(0, 300);
      columns.push({ column: t.name, kind: isNumeric(t.type) ? 'numeric' : 'categorical', test, statistic: NaN, pValue: null, threshold: t.override.threshold ?? DEFAULT_THRESHOLD[test], drifted: false, stats: {}, note: `not tested: a value does not fit the column's type (${why})` });
    }
    stats.delete(t.name);
    counts.delete(t.name);
  }
  columns.sort((x, y) => order.get(x.column)! - order.get(y.column)!);
  const counted = columns.filter((c) => !c.skipped);
  const drifted = counted.filter((c) => c.drifted).length;
  const driftedShare = counted.length ? drifted / counted.length : 0;
  const datasetShareThreshold = opts.datasetShare ?? 0.5;
  return {
    reference: ref.location,
    current: cur.location,
    columns,
    driftedShare,
    datasetShareThreshold,
    datasetDrift: counted.length > 0 && driftedShare >= datasetShareThreshold,
    ...(Object.keys(sampled).length ? { sampled: { ...sampled, valueBudget } } : {}),
  };
}

/** Both promises' values, as Promise.all gives them, but only once both have settled (the first failure is thrown then). */
async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/** A batch of the reference's sorted columns: cached ones read back, the others sorted (one scan) and kept. */
async function cachedSorted(engine: DataEngine, batch: string[], scan: Scan, cache: SortedColumnCache, key: SideKey): Promise<SortedSide[]> {
  const got = await Promise.all(batch.map((c) => cache.get(key, c)));
  const missing = batch.filter((_, k) => !got[k]);
  if (missing.length) {
    const sorted = await sortedBatch(engine, missing, scan);
    for (const [k, c] of missing.entries()) {
      const side = { ...sorted[k]!, ...sideFacts(sorted[k]!.values) };
      got[batch.indexOf(c)] = side;
      await cache.put(key, c, side);
    }
  }
  return got as SortedSide[];
}

/** One line for people: which side was sampled, and how to get exact numbers instead. */
export function sampledNote(s: NonNullable<DriftReport['sampled']>): string {
  const sides = (['reference', 'current'] as const).flatMap((k) => (s[k] ? [`${k} ${s[k].rows.toLocaleString('en')} of ${s[k].of.toLocaleString('en')} rows`] : []));
  return `numeric columns tested on a uniform row sample (over ${s.valueBudget.toLocaleString('en')} values a side): ${sides.join(', ')}; --exact (drift.exact: true) sorts every value`;
}

/** DuckDB could not convert a value to the column's (sniffed) type: bad data, which validation reports. */
const isConversionError = (err: unknown) => /Conversion Error|Could not convert/.test((err as Error)?.message ?? '');

/** The nested part of a DuckDB type (STRUCT, MAP, UNION, LIST `T[]`, ARRAY `T[n]`), or null for a plain one. */
export function nestedType(duckType: string): string | null {
  if (/^(STRUCT|MAP|UNION)\(/.test(duckType) || /\[\d*\]$/.test(duckType)) return duckType.length > 120 ? `${duckType.slice(0, 117)}...` : duckType;
  return null;
}

async function columnDrift(
  engine: DataEngine,
  column: string,
  type: LogicalType,
  ref: Side,
  cur: Side,
  smallRows: number,
  override: { test?: DriftTest | undefined; threshold?: number | undefined },
  sorted?: NumericStats,
  sampled?: SampledSides,
  counted?: CategoryCounts | TooManyCategories,
): Promise<ColumnDrift> {
  const kind = isNumeric(type) ? 'numeric' : 'categorical';
  const stats: Record<string, number> = {};
  const untested = (note: string): ColumnDrift => {
    const test = override.test ?? (kind === 'numeric' ? 'ks' : 'chisquare');
    return { column, kind, test, statistic: NaN, pValue: null, threshold: override.threshold ?? DEFAULT_THRESHOLD[test], drifted: false, stats, note };
  };
  // A numeric column's sorted values also give its distinct count, so it needs no separate pass.
  const numeric = kind === 'numeric' ? (sorted ?? (await numericStats(engine, column, ref, cur, type === 'integer'))) : null;
  if (kind === 'categorical' && counted && 'approxDistinct' in counted) return untested(`about ${counted.approxDistinct} categories (an id?); not tested`);
  const batchedCounts = kind === 'categorical' && counted && !('approxDistinct' in counted) ? counted : undefined;
  const { distinct, nRef, nCur } = numeric ?? (batchedCounts ? { distinct: batchedCounts.categories.length, nRef: batchedCounts.nRef, nCur: batchedCounts.nCur } : await distinctCount(engine, column, ref, cur));
  if (nRef === 0 || nCur === 0) return untested(`no ${numeric ? 'finite' : 'non-null'} values on one side; not tested`);
  const asDistribution = kind === 'numeric' && distinct > 5;
  if (!asDistribution && distinct > MAX_CATEGORIES) return untested(`${distinct} categories (an id?); not tested`);
  // Numeric columns with more than a handful of values are compared as distributions, not categories.
  let histogram: DriftHistogram | undefined;
  if (asDistribution) {
    Object.assign(stats, numericRecord(numeric!));
    histogram = numericHistogram(numeric!);
  } else {
    const exact = counted && !('approxDistinct' in counted) ? counted : undefined;
    const counts = (kind === 'categorical' ? batchedCounts : exact) ?? (await categoryCounts(engine, column, ref, cur));
    Object.assign(stats, categoricalStats(counts));
    histogram = categoricalHistogram(counts);
  }
  // The test follows the reference's size, not its sample's: sampling must not turn Wasserstein into KS.
  const refValues = sampled?.reference ? Math.round((nRef * sampled.reference.of) / sampled.reference.rows) : nRef;
  return {
    ...testVerdict(column, kind, override.test ?? defaultTest(kind, refValues, distinct, smallRows), override.threshold, stats, histogram),
    // A numeric column with few values is compared by exact counts over every row, so it is not sampled.
    ...(sampled && (asDistribution || (kind === 'categorical' && batchedCounts)) ? { sampled } : {}),
  };
}

/** A column's verdict from its statistics: p-value tests drift below the threshold, distances at or above it. */
export function testVerdict(column: string, kind: 'numeric' | 'categorical', test: DriftTest, threshold: number | undefined, stats: Record<string, number>, histogram?: DriftHistogram): ColumnDrift {
  const limit = threshold ?? DEFAULT_THRESHOLD[test];
  const isP = P_VALUE_TESTS.has(test);
  const value = stats[isP ? `${test}_pvalue` : test] ?? NaN;
  return {
    column,
    kind,
    test,
    statistic: isP ? stats[`${test}_statistic`]! : value,
    pValue: isP ? value : null,
    threshold: limit,
    drifted: isP ? value < limit : value >= limit,
    stats,
    ...(histogram ? { histogram } : {}),
  };
}

export async function numericColumnStats(engine: DataEngine, column: string, ref: Side, cur: Side): Promise<Record<string, number>> {
  const type = (await describe(engine, ref.location, ref.format)).find((c) => c.name === column)?.type ?? 'DOUBLE';
  return numericRecord(await numericStats(engine, column, ref, cur, logicalType(type) === 'integer'));
}

export function numericRecord(s: NumericStats): Record<string, number> {
  // As Evidently: PSI over filled shares, Jensen-Shannon over the plain ones.
  const r = shares(s.refBins, s.nRef);
  const c = shares(s.curBins, s.nCur);
  return {
    ks_statistic: s.ksStatistic,
    ks_pvalue: s.ksPValue,
    ks_pvalue_exact: s.ksExact ? 1 : 0,
    wasserstein: s.refStd > 0 ? s.wasserstein / s.refStd : s.wasserstein === 0 ? 0 : Infinity,
    wasserstein_raw: s.wasserstein,
    psi: psi(filledShares(s.refBins, s.nRef), filledShares(s.curBins, s.nCur)),
    jensenshannon: jensenShannon(r, c),
    bins: s.refBins.length,
    non_finite: s.nonFinite,
  };
}

/** Chi-squared (Evidently's form: expected = reference counts scaled to the current size), z, JS, PSI, L∞. */
export function categoricalStats(k: { ref: number[]; cur: number[]; nRef: number; nCur: number }): Record<string, number> {
  const scale = k.nCur / k.nRef;
  let chi = 0;
  k.ref.forEach((r, i) => {
    const expected = r * scale;
    const observed = k.cur[i]!;
    chi += expected === 0 ? (observed === 0 ? 0 : Infinity) : (observed - expected) ** 2 / expected;
  });
  const df = k.ref.length - 1;
  const rShares = shares(k.ref, k.nRef);
  const cShares = shares(k.cur, k.nCur);
  const out: Record<string, number> = {
    chisquare_statistic: chi,
    chisquare_pvalue: df > 0 ? chi2Sf(chi, df) : 1,
    jensenshannon: jensenShannon(rShares, cShares),
    psi: psi(filledShares(k.ref, k.nRef), filledShares(k.cur, k.nCur)),
    linf: linf(rShares, cShares),
  };
  if (k.ref.length <= 2) {
    // Two-proportion z-test on the first category (Evidently's proportions_diff_z_test).
    const p1 = k.ref[0]! / k.nRef;
    const p2 = k.cur[0]! / k.nCur;
    const p = (p1 * k.nRef + p2 * k.nCur) / (k.nRef + k.nCur);
    const z = p > 0 && p < 1 ? (p1 - p2) / Math.sqrt(p * (1 - p) * (1 / k.nRef + 1 / k.nCur)) : 0;
    out.ztest_statistic = z;
    out.ztest_pvalue = normTwoSided(z);
  }
  return out;
}
