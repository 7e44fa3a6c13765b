import { ident, type DataEngine } from '../engine.js';
import type { Side } from './numeric.js';

export interface CategoryCounts {
  categories: string[];
  ref: number[];
  cur: number[];
  nRef: number;
  nCur: number;
}

/** Counts per category on both sides (nulls left out), categories sorted; small, so JS gets it. */
export async function categoryCounts(engine: DataEngine, column: string, ref: Side, cur: Side): Promise<CategoryCounts> {
  const col = ident(column);
  const rows = await engine.rows(
    `SELECT v, sum(a)::BIGINT AS a, sum(b)::BIGINT AS b FROM (
       SELECT ${col}::VARCHAR AS v, 1 AS a, 0 AS b FROM ${await engine.reader(ref.location, ref.format, 1)} WHERE ${col} IS NOT NULL
       UNION ALL
       SELECT ${col}::VARCHAR AS v, 0 AS a, 1 AS b FROM ${await engine.reader(cur.location, cur.format, 2)} WHERE ${col} IS NOT NULL)
     GROUP BY v ORDER BY v`,
    [ref.location, cur.location],
    `${ref.location} vs ${cur.location}`,
  );
  const refCounts = rows.map((r) => Number(r.a));
  const curCounts = rows.map((r) => Number(r.b));
  return {
    categories: rows.map((r) => String(r.v)),
    ref: refCounts,
    cur: curCounts,
    nRef: refCounts.reduce((s, x) => s + x, 0),
    nCur: curCounts.reduce((s, x) => s + x, 0),
  };
}

/** A column with far more distinct values than categories: only its (HyperLogLog) distinct count is known. */
export interface TooManyCategories {
  approxDistinct: number;
}

/** Columns per batched count: one scan of both sides per batch, as for the numeric sorts. */
const COUNT_BATCH_COLUMNS = 500;

/**
 * Exact category counts of many columns from one scan of each side per batch: the columns are
 * unpivoted into (column, value) pairs and grouped, instead of two full reads per column.
 * On wide Parquet over the value budget, grouping every row took over a minute per 500 columns, so a
 * sampled side's categories are counted on its row sample too (the distinct counts stay over all rows).
 * Columns with far more than `maxCategories` distinct values (ids, free text) get an approximate
 * distinct count only: it comes first and keeps them out of the grouping, whose result would hold every value.
 */
export async function batchedCategoryCounts(
  engine: DataEngine,
  columns: string[],
  ref: Side,
  cur: Side,
  maxCategories: number,
  /** A sampled side's rows (a filtered read, its file at the given parameter slot) to count instead of all. */
  sampled: { ref?: (slot: number) => string; cur?: (slot: number) => string } = {},
): Promise<Map<string, CategoryCounts | TooManyCategories>> {
  const out = new Map<string, CategoryCounts | TooManyCategories>();
  const from = [sampled.ref?.(1) ?? (await engine.reader(ref.location, ref.format, 1)), sampled.cur?.(2) ?? (await engine.reader(cur.location, cur.format, 2))];
  const params = [ref.location, cur.location];
  const alone = [await engine.reader(ref.location, ref.format, 1), await engine.reader(cur.location, cur.format, 1)];
  const label = `${ref.location} vs ${cur.location}`;
  const unpivot = (names: string[]) =>
    from.map((f, s) => `SELECT ${s} AS s, unnest(range(${names.length})) AS k, unnest([${names.map((c) => `${ident(c)}::VARCHAR`).join(', ')}]) AS v FROM ${f}`).join(' UNION ALL ');
  for (let i = 0; i < columns.length; i += COUNT_BATCH_COLUMNS) {
    const batch = columns.slice(i, i + COUNT_BATCH_COLUMNS);
    // Per side, straight from each column (a filter per column over the unpivoted stream took minutes):
    // both sides hold at least the larger count of distinct values. HyperLogLog's error is a few per
    // cent; a margin keeps every column near the limit in the exact count.
    const distinct = `SELECT ${batch.map((c, k) => `approx_count_distinct(${ident(c)})::BIGINT AS "d${k}"`).join(', ')} FROM`;
    const [a, b] = await Promise.all(alone.map((f, s) => engine.rows(`${distinct} ${f}`, [params[s]!], label)));
    const counted = batch.filter((c, k) => {
      const d = Math.max(Number(a?.[0]?.[`d${k}`] ?? 0), Number(b?.[0]?.[`d${k}`] ?? 0));
      if (d > maxCategories * 1.2) out.set(c, { approxDistinct: d });
      return d <= maxCategories * 1.2;
    });
    if (counted.length === 0) continue;
    const rows = await engine.rows(
      `SELECT k, v, count(*) FILTER (WHERE s = 0)::BIGINT AS a, count(*) FILTER (WHERE s = 1)::BIGINT AS b FROM (${unpivot(counted)}) WHERE v IS NOT NULL GROUP BY k, v ORDER BY k, v`,
      params,
      label,
    );
    const per = counted.map(() => ({ categories: [] as string[], ref: [] as number[], cur: [] as number[], nRef: 0, nCur: 0 }));
    for (const r of rows) {
      const c = per[Number(r.k)]!;
      const [a, b] = [Number(r.a), Number(r.b)];
      c.categories.push(String(r.v));
      c.ref.push(a);
      c.cur.push(b);
      c.nRef += a;
      c.nCur += b;
    }
    counted.forEach((name, k) => out.set(name, per[k]!));
  }
  return out;
}
