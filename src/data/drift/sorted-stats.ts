/**
 * The statistics of two sorted columns: pure functions of typed arrays, with no imports and no module
 * state, because drift-threads.ts runs these very functions on its threads from their source text.
 */

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
export function countsPerValue(a: Float64Array, b: Float64Array): { refBins: number[]; curBins: number[]; values: number[] } {
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
 * The largest CDF gap (KS) and the area between the CDFs (Wasserstein-1), in one merge of the two sorted
 * arrays. The CDFs are step functions: their gap changes only where the value does, so the gap is read
 * (and the area between this value and the next added) only when the merged value changes, after every
 * copy of a value on both sides is taken. Which side comes next is a coin toss on undrifted data, so the
 * step is written without a branch on it (measured ~20% faster over 20M values than stepping by value).
 */
export function compareSorted(a: Float64Array, b: Float64Array): { ks: number; wasserstein: number; distinct: number } {
  const n = a.length;
  const m = b.length;
  if (!n || !m) return { ks: 0, wasserstein: 0, distinct: countDistinct(n ? a : b) };
  let i = 0;
  let j = 0;
  let ks = 0;
  let wasserstein = 0;
  let distinct = 1;
  let x = a[0]!;
  let y = b[0]!;
  let v = x < y ? x : y;
  for (let k = n + m; k > 0; k--) {
    const takeA = ((x <= y) as unknown as number) | 0;
    const next = takeA ? x : y;
    if (next !== v) {
      const d = i / n - j / m;
      const gap = d < 0 ? -d : d;
      if (gap > ks) ks = gap;
      wasserstein += gap * (next - v);
      distinct++;
      v = next;
    }
    i += takeA;
    j += 1 - takeA;
    x = i < n ? a[i]! : Infinity;
    y = j < m ? b[j]! : Infinity;
  }
  // Past the last value both CDFs are 1: the last gap is 0, and KS never needs it.
  return { ks, wasserstein, distinct };
}

export function countDistinct(sorted: Float64Array): number {
  let d = 0;
  for (let k = 0; k < sorted.length; k++) if (k === 0 || sorted[k] !== sorted[k - 1]) d++;
  return d;
}

export function populationStd(x: Float64Array): number {
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
export function firstAtLeast(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What two sorted sides give apart from the p-value: KS, Wasserstein-1, distinct values, the reference's std, the bins. */
export interface SortedComparison {
  ks: number;
  wasserstein: number;
  distinct: number;
  refStd: number;
  refBins: number[];
  curBins: number[];
  edges?: number[];
  values?: number[];
}

/** One pass of compareSorted, then the bins; `distinctInA` and `stdA`, when the reference's facts are already known. */
export function sortedComparison(a: Float64Array, b: Float64Array, integer: boolean, distinctInA?: number, stdA?: number): SortedComparison {
  const { ks, wasserstein, distinct } = compareSorted(a, b);
  const bins = a.length && b.length ? evidentlyBins(a, b, integer, distinctInA === undefined ? countDistinct(a) : distinctInA) : { refBins: [], curBins: [] };
  return { ks, wasserstein, distinct, refStd: stdA === undefined ? populationStd(a) : stdA, ...bins };
}
