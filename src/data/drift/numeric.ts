import { ident, readerFor, type DataEngine, type DataFormat } from '../engine.js';
import { EXACT_KS_MAX_N, ksExactPValue } from './ks-exact.js';
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
  lo: number;
  hi: number;
  ksStatistic: number;
  ksPValue: number;
  /** Whether the p-value is exact (small samples) or asymptotic. */
  ksExact: boolean;
  wasserstein: number;
  refBins: number[];
  curBins: number[];
}

export async function rowCount(engine: DataEngine, side: Side): Promise<number> {
  if (side.rows !== undefined) return side.rows;
  const [r] = await engine.rows(`SELECT count(*) AS n FROM ${readerFor(side.location, side.format)}`, [side.location], side.location);
  return Number(r!.n);
}

/**
 * One side's non-null values, sorted by DuckDB (which sorts in parallel and spills when it must),
 * then cut to the finite ones: DuckDB orders -Infinity first and +Infinity, NaN last.
 */
async function sortedFinite(engine: DataEngine, column: string, side: Side): Promise<{ values: Float64Array; nonFinite: number }> {
  const col = ident(column);
  const all = await engine.doubles(
    `SELECT ${col}::DOUBLE AS v FROM ${readerFor(side.location, side.format)} WHERE ${col} IS NOT NULL ORDER BY v`,
    [side.location],
    await rowCount(engine, side),
    side.location,
  );
  let start = 0;
  let end = all.length;
  while (start < end && !Number.isFinite(all[start]!)) start++;
  while (end > start && !Number.isFinite(all[end - 1]!)) end--;
  return { values: all.subarray(start, end), nonFinite: all.length - (end - start) };
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
 * walk over the two empirical CDFs, then a numpy-compatible equal-width histogram for PSI and JS.
 */
export async function numericStats(engine: DataEngine, column: string, ref: Side, cur: Side, bins: number): Promise<NumericStats> {
  const a = await sortedFinite(engine, column, ref);
  const b = await sortedFinite(engine, column, cur);
  const { ks, wasserstein, distinct } = compareSorted(a.values, b.values);
  const nRef = a.values.length;
  const nCur = b.values.length;
  let lo = Math.min(nRef ? a.values[0]! : Infinity, nCur ? b.values[0]! : Infinity);
  let hi = Math.max(nRef ? a.values[nRef - 1]! : -Infinity, nCur ? b.values[nCur - 1]! : -Infinity);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5]; // numpy's rule for an empty range
  const tested = nRef > 0 && nCur > 0;
  return {
    nRef,
    nCur,
    distinct,
    nonFinite: a.nonFinite + b.nonFinite,
    refStd: populationStd(a.values),
    lo,
    hi,
    ksStatistic: ks,
    ...ksPValue(nRef, nCur, ks),
    wasserstein,
    refBins: tested ? histogram(a.values, lo, hi, bins) : [],
    curBins: tested ? histogram(b.values, lo, hi, bins) : [],
  };
}

/** The largest CDF gap (KS) and the area between the CDFs (Wasserstein-1), stepping over distinct values. */
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
 * Bin counts of sorted values as numpy.histogram assigns them to equal-width bins: a value falls in
 * the last bin whose left edge it reaches (the last bin also holds `hi`). numpy's edge fix-ups give
 * exactly this, so a binary search per edge replaces a pass over every value.
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
