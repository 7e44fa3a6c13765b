import type { DuckDBValue } from '@duckdb/node-api';
import { ident, type DataEngine, type DataFormat } from '../engine.js';
import { EXACT_KS_MAX_N, ksExactPValue } from './ks-exact.js';
import { takeDoubles } from './column-buffers.js';
import { compareSortedSides, PARALLEL_MIN_VALUES, sortDoubles } from './drift-threads.js';
import { radixSortDoubles } from './radix-sort.js';
import { countDistinct, populationStd, sortedComparison, type SortedComparison } from './sorted-stats.js';
import { kolmogorov } from './special.js';

export interface Side {
  location: string;
  format: DataFormat;
  /** Rows in the dataset, when already known: the most values one column can hold. */
  rows?: number;
}

export interface NumericStats {
  nRef: number;
  nCur: number;
  /** Distinct finite values over both sides (decides distribution vs category tests). */
  distinct: number;
  /** Values dropped because they were NaN or ±Infinity. */
  nonFinite: number;
  refStd: number;
  ksStatistic: number;
  ksPValue: number;
  /** Whether the p-value is exact (small samples) or asymptotic. */
  ksExact: boolean;
  wasserstein: number;
  /** Counts per bin for PSI and Jensen-Shannon, binned as Evidently bins a numeric column. */
  refBins: number[];
  curBins: number[];
  /** What the bins cover, for the report's histograms: equal-width bins' edges (one more than bins), or each bin's value. */
  binEdges?: number[];
  binValues?: number[];
}

export async function rowCount(engine: DataEngine, side: Side): Promise<number> {
  if (side.rows !== undefined) return side.rows;
  const [r] = await engine.rows(`SELECT count(*) AS n FROM ${await engine.reader(side.location, side.format)}`, [side.location], side.location);
  return Number(r!.n);
}

/**
 * One side's non-null values of one column, sorted, then cut to the finite ones.
 */
async function sortedFinite(engine: DataEngine, column: string, side: Side & { rows: number }): Promise<SortedSide> {
  const [sorted] = await sortedColumns(engine, [column], { from: await engine.reader(side.location, side.format), params: [side.location], rows: side.rows, label: side.location });
  return sorted!;
}

/** scipy's choice: exact up to 10,000 values per side, else the asymptotic Kolmogorov distribution. */
function ksPValue(nRef: number, nCur: number, ks: number): { ksPValue: number; ksExact: boolean } {
  if (!nRef || !nCur) return { ksPValue: 1, ksExact: false };
  const exact = Math.max(nRef, nCur) <= EXACT_KS_MAX_N ? ksExactPValue(nRef, nCur, ks) : null;
  if (exact !== null) return { ksPValue: exact, ksExact: true };
  return { ksPValue: kolmogorov(Math.sqrt((nRef * nCur) / (nRef + nCur)) * ks), ksExact: false };
}

/**
 * Exact statistics (no sampling) from both sides' sorted values: KS and Wasserstein-1 from one merge
 * walk over the two empirical CDFs, then the bins PSI and Jensen-Shannon compare.
 * `integer`: the column holds integers, which changes how wide a bin may be (as in numpy).
 */
export async function numericStats(engine: DataEngine, column: string, refSide: Side, curSide: Side, integer: boolean): Promise<NumericStats> {
  const ref = { ...refSide, rows: await rowCount(engine, refSide) };
  const cur = { ...curSide, rows: await rowCount(engine, curSide) };
  // Both sides at once: their sorts run on the drift threads (drift-threads.ts); each holds only its own column.
  const [a, b] = await Promise.all([sortedFinite(engine, column, ref), sortedFinite(engine, column, cur)]);
  return statsOfSorted(a, b, integer);
}

/** The statistics of numericStats from both sides' sorted finite values, worked here (small sides). */
export function statsFromSorted(a: SortedSide, b: SortedSide, integer: boolean): NumericStats {
  return withPValue(a.values.length, b.values.length, a.nonFinite + b.nonFinite, sortedComparison(a.values, b.values, integer, a.distinct, a.std));
}

/**
 * statsFromSorted, on a drift thread when the sides are large, so the main thread reads the next column
 * meanwhile. The sides' arrays move to the thread: neither may be read afterwards.
 */
export async function statsOfSorted(a: SortedSide, b: SortedSide, integer: boolean): Promise<NumericStats> {
  const [nRef, nCur] = [a.values.length, b.values.length]; // read before the arrays move
  return withPValue(nRef, nCur, a.nonFinite + b.nonFinite, await compareSortedSides(a.values, b.values, integer, a.distinct, a.std));
}

function withPValue(nRef: number, nCur: number, nonFinite: number, c: SortedComparison): NumericStats {
  return {
    nRef,
    nCur,
    distinct: c.distinct,
    nonFinite,
    refStd: c.refStd,
    ksStatistic: c.ks,
    ...ksPValue(nRef, nCur, c.ks),
    wasserstein: c.wasserstein,
    refBins: c.refBins,
    curBins: c.curBins,
    ...(c.edges ? { binEdges: c.edges } : {}),
    ...(c.values ? { binValues: c.values } : {}),
  };
}

export interface SortedSide {
  values: Float64Array;
  nonFinite: number;
  /** Of the values, when already known (a reference read back from sorted-cache.ts): population std and distinct count. */
  std?: number;
  distinct?: number;
}

/** The facts of a sorted side that do not depend on the other side, computed once to be kept with it. */
export function sideFacts(values: Float64Array): { std: number; distinct: number } {
  return { std: populationStd(values), distinct: countDistinct(values) };
}

/** Values per batched sort: 8M doubles are 64 MiB in JS, and DuckDB's sort of them stays well inside its memory limit. */
const BATCH_VALUES = 8_000_000;
const BATCH_COLUMNS = 500;

/** How many columns of a side with `rows` rows one batched sort reads. */
export const columnsPerSort = (rows: number) => Math.max(1, Math.min(BATCH_COLUMNS, Math.floor(BATCH_VALUES / Math.max(1, rows))));

/** What a batched sort reads: a side's file (its reader), a filtered read of it, or a sample table of it. */
export interface Scan {
  from: string;
  params: DuckDBValue[];
  /** Rows it holds: the most values one column can have. */
  rows: number;
  label: string;
  /** When set, each batch first copies its columns' rows into a table (one read), and sorts that. */
  batch?: (columns: string[]) => Promise<{ scan: Scan; drop: () => Promise<void> }>;
}

/** sortedColumns over a scan, through its per-batch table when it has one. */
export async function sortedBatch(engine: DataEngine, columns: string[], scan: Scan): Promise<SortedSide[]> {
  if (!scan.batch) return sortedColumns(engine, columns, scan);
  const b = await scan.batch(columns);
  try {
    return await sortedColumns(engine, columns, b.scan);
  } finally {
    await b.drop();
  }
}

export async function scanOf(engine: DataEngine, side: Side & { rows: number }): Promise<Scan> {
  return { from: await engine.reader(side.location, side.format), params: [side.location], rows: side.rows, label: side.location };
}

/**
 * Many numeric columns of one side, each sorted, from one scan: DuckDB streams the columns' values
 * out unsorted (one typed array per column), and each is radix-sorted here. Sorting in DuckDB instead
 * (the columns unpivoted and ordered by column and value) measured about 2× slower at 10M rows and
 * spent most of a wide sample's time planning 500-element unnests.
 */
export async function sortedColumns(engine: DataEngine, columns: string[], scan: Scan): Promise<SortedSide[]> {
  if (columns.length === 0) return [];
  const { from, params, label } = scan;
  const arrays = await engine.doubleColumns(`SELECT ${columns.map((c) => `${ident(c)}::DOUBLE`).join(', ')} FROM ${from}`, params, scan.rows, label, takeDoubles);
  let scratch: Float64Array | undefined;
  const sorted: SortedSide[] = [];
  for (const values of arrays) {
    if (values.length >= PARALLEL_MIN_VALUES) {
      // Large columns: the other side's sort of the same column may run on the second thread meanwhile.
      sorted.push(finitePart(await sortDoubles(values)));
      continue;
    }
    scratch = scratch && scratch.length >= values.length ? scratch : new Float64Array(values.length);
    sorted.push(finitePart(radixSortDoubles(values, scratch)));
  }
  return sorted;
}

/** Sorted values without the non-finite ones, which the sort puts at the ends (-Infinity first; +Infinity, NaN last). */
export function finitePart(all: Float64Array): SortedSide {
  let start = 0;
  let end = all.length;
  while (start < end && !Number.isFinite(all[start]!)) start++;
  while (end > start && !Number.isFinite(all[end - 1]!)) end--;
  return { values: all.subarray(start, end), nonFinite: all.length - (end - start) };
}

