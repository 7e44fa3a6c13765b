import { ident, readerFor, type DataEngine, type DataFormat } from '../engine.js';
import { EXACT_KS_MAX_N, ksExactPValue } from './ks-exact.js';
import { kolmogorov } from './special.js';

export interface Side {
  location: string;
  format: DataFormat;
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

const values = (col: string, slot: number, side: Side) =>
  `SELECT ${col}::DOUBLE AS v FROM ${readerFor(side.location, side.format, slot)} WHERE ${col} IS NOT NULL`;

/**
 * KS statistic and Wasserstein-1 distance from the two empirical CDFs, computed inside DuckDB over
 * distinct values (exact, no sampling), then a numpy-compatible equal-width histogram for PSI/JS.
 */
/** scipy's choice: exact up to 10,000 values per side, else the asymptotic Kolmogorov distribution. */
function ksPValue(nRef: number, nCur: number, ks: number, en: number): { ksPValue: number; ksExact: boolean } {
  if (!en) return { ksPValue: 1, ksExact: false };
  const exact = Math.max(nRef, nCur) <= EXACT_KS_MAX_N ? ksExactPValue(nRef, nCur, ks) : null;
  return exact === null ? { ksPValue: kolmogorov(Math.sqrt(en) * ks), ksExact: false } : { ksPValue: exact, ksExact: true };
}

export async function numericStats(engine: DataEngine, column: string, ref: Side, cur: Side, bins: number): Promise<NumericStats> {
  const col = ident(column);
  const where = `${ref.location} vs ${cur.location}`;
  const params = [ref.location, cur.location];
  const base = `
    raw_a AS (${values(col, 1, ref)}), raw_b AS (${values(col, 2, cur)}),
    a AS (SELECT v FROM raw_a WHERE isfinite(v)), b AS (SELECT v FROM raw_b WHERE isfinite(v))`;
  const [s] = await engine.rows(
    `WITH ${base},
      na AS (SELECT count(*)::DOUBLE AS n, stddev_pop(v) AS sd, min(v) AS lo, max(v) AS hi FROM a),
      nb AS (SELECT count(*)::DOUBLE AS n, min(v) AS lo, max(v) AS hi FROM b),
      -- One grouping over both sides (integer counts, so the CDFs stay exact) instead of two and a join.
      u AS (SELECT v, sum(ca) AS ca, sum(cb) AS cb FROM (SELECT v, 1 AS ca, 0 AS cb FROM a UNION ALL SELECT v, 0 AS ca, 1 AS cb FROM b) GROUP BY v),
      cdf AS (
        SELECT v, lead(v) OVER (ORDER BY v) AS nv,
          (sum(ca) OVER (ORDER BY v ROWS UNBOUNDED PRECEDING))::DOUBLE / (SELECT n FROM na) AS fa,
          (sum(cb) OVER (ORDER BY v ROWS UNBOUNDED PRECEDING))::DOUBLE / (SELECT n FROM nb) AS fb
        FROM u)
    SELECT (SELECT n FROM na) AS n_ref, (SELECT n FROM nb) AS n_cur, count(*) AS distinct_values,
      (SELECT count(*) FROM raw_a) + (SELECT count(*) FROM raw_b) - (SELECT n FROM na) - (SELECT n FROM nb) AS non_finite,
      (SELECT sd FROM na) AS ref_std,
      least((SELECT lo FROM na), (SELECT lo FROM nb)) AS lo, greatest((SELECT hi FROM na), (SELECT hi FROM nb)) AS hi,
      coalesce(max(abs(fa - fb)), 0) AS ks, coalesce(sum(abs(fa - fb) * (nv - v)), 0) AS wd
    FROM cdf`,
    params,
    where,
  );
  const nRef = Number(s!.n_ref);
  const nCur = Number(s!.n_cur);
  const ks = Number(s!.ks);
  const en = nRef && nCur ? (nRef * nCur) / (nRef + nCur) : 0;
  let lo = Number(s!.lo);
  let hi = Number(s!.hi);
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5]; // numpy's rule for an empty range
  const { refBins, curBins } = nRef && nCur ? await histogram(engine, base, params, where, lo, hi, bins) : { refBins: [], curBins: [] };
  return {
    nRef,
    nCur,
    distinct: Number(s!.distinct_values),
    nonFinite: Number(s!.non_finite),
    refStd: Number(s!.ref_std ?? 0),
    lo,
    hi,
    ksStatistic: ks,
    ...ksPValue(nRef, nCur, ks, en),
    wasserstein: Number(s!.wd),
    refBins,
    curBins,
  };
}

/** Bin index exactly as numpy.histogram computes it for equal-width bins (with its edge fix-ups). */
async function histogram(engine: DataEngine, base: string, params: string[], where: string, lo: number, hi: number, n: number) {
  const edge = (i: string) => `(CASE WHEN ${i} = $5 THEN $4 ELSE ${i} * (($4 - $3) / $5) + $3 END)`;
  const rows = await engine.rows(
    `WITH ${base},
      both_sides AS (SELECT 0 AS side, v FROM a UNION ALL SELECT 1 AS side, v FROM b),
      i1 AS (SELECT side, v, least(floor((v - $3) * ($5 / ($4 - $3)))::BIGINT, $5 - 1) AS i FROM both_sides),
      i2 AS (SELECT side, v, CASE WHEN v < ${edge('i')} THEN i - 1 ELSE i END AS i FROM i1),
      i3 AS (SELECT side, CASE WHEN v >= ${edge('(i + 1)')} AND i <> $5 - 1 THEN i + 1 ELSE i END AS i FROM i2)
    SELECT side, i, count(*) AS c FROM i3 GROUP BY ALL`,
    [...params, lo, hi, n] as never[],
    where,
  );
  const refBins = new Array<number>(n).fill(0);
  const curBins = new Array<number>(n).fill(0);
  for (const r of rows) (Number(r.side) === 0 ? refBins : curBins)[Number(r.i)] = Number(r.c);
  return { refBins, curBins };
}
