import type { DuckDBValue } from '@duckdb/node-api';
import { ident, type DataEngine, type DataFormat } from '../engine.js';
import { EXACT_KS_MAX_N, ksExactPValue } from './ks-exact.js';
import { radixSortDoubles } from './radix-sort.js';
import { PARALLEL_MIN_VALUES, sortDoubles } from './sort-thread.js';
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
  // Both sides at once: their sorts run on two threads (sort-thread.ts); each holds only its own column.
  const [a, b] = await Promise.all([sortedFinite(engine, column, ref), sortedFinite(engine, column, cur)]);
  return statsFromSorted(a, b, integer);
}

/** The statistics of numericStats from both sides' sorted finite values. */
export function statsFromSorted(a: SortedSide, b: SortedSide, integer: boolean): NumericStats {
  const { ks, wasserstein, distinct } = compareSorted(a.values, b.values);
  const nRef = a.values.length;
  const nCur = b.values.length;
  const { refBins, curBins, edges, values } = nRef && nCur ? evidentlyBins(a.values, b.values, integer, a.distinct) : { refBins: [], curBins: [] };
  return {
    nRef,
    nCur,
    distinct,
    nonFinite: a.nonFinite + b.nonFinite,
    refStd: a.std ?? populationStd(a.values),
    ksStatistic: ks,
    ...ksPValue(nRef, nCur, ks),
    wasserstein,
    refBins,
    curBins,
    ...(edges ? { binEdges: edges } : {}),
    ...(values ? { binValues: values } : {}),
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
  const arrays = await engine.doubleColumns(`SELECT ${columns.map((c) => `${ident(c)}::DOUBLE`).join(', ')} FROM ${from}`, params, scan.rows, label);
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

/**
 * Evidently's get_binned_data for a numeric column: with more than 20 distinct reference values,
 * equal-width bins over both sides, as many as numpy's Sturges rule gives for the combined size;
 * otherwise one bin per distinct value.
 */
export function evidentlyBins(a: Float64Array, b: Float64Array, integer: boolean, distinctInA = countDistinct(a)): { refBins: number[]; curBins: number[]; edges?: number[]; values?: number[] } {
  if (distinctInA <= 20) return countsPerValue(a, b);
  const lo = Math.min(a[0]!, b[0]!);
  const hi = Math.max(a[a.length - 1]!, b[b.length - 1]!);
  let width = (hi - lo) / (Math.log2(a.length + b.length) + 1);
  if (integer && width < 1) width = 1; // numpy never makes an integer bin narrower than 1
  const bins = Math.ceil((hi - lo) / width);
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + (k * (hi - lo)) / bins));
  return { refBins: histogram(a, lo, hi, bins), curBins: histogram(b, lo, hi, bins), edges };
}

/** Counts of every distinct value over both sides, in ascending order. */
function countsPerValue(a: Float64Array, b: Float64Array): { refBins: number[]; curBins: number[]; values: number[] } {
  const refBins: number[] = [];
  const curBins: number[] = [];
  const values: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const v = j === b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    const [i0, j0] = [i, j];
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    refBins.push(i - i0);
    curBins.push(j - j0);
    values.push(v);
  }
  return { refBins, curBins, values };
}

/**
 * The largest CDF gap (KS) and the area between the CDFs (Wasserstein-1), stepping over distinct values.
 * The same walk as countsPerValue, written out: this loop is the hot one, and a shared walk with a
 * callback measured 30% slower over the whole drift report.
 */
export function compareSorted(a: Float64Array, b: Float64Array): { ks: number; wasserstein: number; distinct: number } {
  const n = a.length;
  const m = b.length;
  if (!n || !m) return { ks: 0, wasserstein: 0, distinct: countDistinct(n ? a : b) };
  let i = 0;
  let j = 0;
  let ks = 0;
  let wasserstein = 0;
  let distinct = 0;
  let gap = 0;
  let v = Math.min(a[0]!, b[0]!);
  for (;;) {
    while (i < n && a[i] === v) i++;
    while (j < m && b[j] === v) j++;
    distinct++;
    // The CDFs are step functions: between v and the next value their gap stays at this level.
    gap = Math.abs(i / n - j / m);
    if (gap > ks) ks = gap;
    if (i === n && j === m) break;
    const next = i === n ? b[j]! : j === m ? a[i]! : Math.min(a[i]!, b[j]!);
    wasserstein += gap * (next - v);
    v = next;
  }
  return { ks, wasserstein, distinct };
}

function countDistinct(sorted: Float64Array): number {
  let d = 0;
  for (let k = 0; k < sorted.length; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) d++;
  return d;
}

function populationStd(x: Float64Array): number {
  if (!x.length) return 0;
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += x[k]!;
  const mean = sum / x.length;
  let sq = 0;
  for (let k = 0; k < x.length; k++) sq += (x[k]! - mean) ** 2;
  return Math.sqrt(sq / x.length);
}

/**
 * Counts of sorted values in `bins` equal-width bins from `lo` to `hi`, as numpy.histogram counts
 * them: a value falls in the last bin whose left edge (numpy.linspace's) it reaches, and the last bin
 * also holds `hi`. Sorted values need one binary search per edge, not a pass over every value.
 */
export function histogram(sorted: Float64Array, lo: number, hi: number, bins: number): number[] {
  const step = (hi - lo) / bins;
  const starts = Array.from({ length: bins }, (_, k) => (k === 0 ? 0 : firstAtLeast(sorted, k * step + lo)));
  return starts.map((start, k) => (k === bins - 1 ? sorted.length : starts[k + 1]!) - start);
}

/** Index of the first value >= x in ascending values (their length when none is). */
function firstAtLeast(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
