/** The drift value budget: when a side is tested on a row sample, and how large that sample is. No imports, so the config schema can use it. */

/**
 * Numeric values per side (tested numeric columns × rows) up to which drift is exact. Above it, the
 * numeric statistics of that side come from a uniform row sample of about this many values, because
 * exact KS and Wasserstein need every value sorted: 10⁹ of them (10,000 columns × 50,000 rows, both
 * sides) took DuckDB minutes, 2 × 20M take seconds and at most 160 MB per side in DuckDB.
 */
export const DRIFT_VALUE_BUDGET = 20_000_000;
/** However wide the data, a sample keeps at least this many rows (its error is O(1/√rows)). */
export const MIN_SAMPLE_ROWS = 2_000;
/** The reservoir's seed: the same file gives the same rows, so the same report. */
export const SAMPLE_SEED = 42;

/** How many rows of how many a side's statistics were computed on. */
export interface Sampled {
  rows: number;
  of: number;
}

/**
 * The rows to sample from a side of `rows` rows with `columns` numeric columns, or null when the side
 * stays exact: within the budget, or small (p-value tests are the default there, and a sample of a
 * small reference would only add noise).
 */
export function sampleSize(rows: number, columns: number, budget: number, smallRows: number): number | null {
  if (!Number.isFinite(budget) || rows <= smallRows || columns === 0 || columns * rows <= budget) return null;
  const n = Math.max(MIN_SAMPLE_ROWS, smallRows + 1, Math.floor(budget / columns));
  return n < rows ? n : null;
}
