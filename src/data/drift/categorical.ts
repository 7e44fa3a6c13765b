import { detectFormat, ident, type DataEngine } from '../engine.js';
import { SAMPLE_SEED } from './budget.js';
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

/** Columns per batch: one id screen per side, and one unpivoted count when the batch has few rows. */
const COUNT_BATCH_COLUMNS = 500;
/**
 * Columns per GROUPING SETS query: it keeps a hash table per column, and 500 of them ran a wide file out of
 * DuckDB's memory where 64 stay well inside it.
 */
const GROUPING_SETS_COLUMNS = 64;
/** Up to this many (column, value) pairs a batch is unpivoted and grouped at once; above, GROUPING SETS. */
const UNPIVOT_MAX_PAIRS = 20_000_000;
/** Rows the id screen looks at, at most: it only has to tell a handful of categories from thousands. */
const SCREEN_ROWS = 1_000_000;

/**
 * Exact category counts of many columns, in batches. Many rows (10M × 8 columns): one GROUPING SETS query
 * per side groups each column by itself, reading only those columns and grouping dictionary-encoded text
 * without hashing every string (a seventh of the CPU of unpivoting into (column, value) pairs). Few rows
 * over many columns (a wide file's row sample): the pairs are unpivoted and grouped in one query per
 * batch, because each GROUPING SETS query re-reads a 10,000-column file's footer and takes few columns.
 * Columns with far more than `maxCategories` distinct values (ids, free text) would fill the hash tables
 * and the result with every value, so a screen first counts distinct values approximately on at most
 * SCREEN_ROWS rows (a seeded subset of a large Parquet side): a column over the limit there is over it in
 * full, and one that passes the screen but has too many categories in full is cut in SQL, so its values
 * never reach JS. On wide Parquet over the value budget a sampled side's categories are counted on its
 * row sample, as the numeric statistics are.
 */
export async function batchedCategoryCounts(
  engine: DataEngine,
  columns: string[],
  ref: Side,
  cur: Side,
  maxCategories: number,
  /** A sampled side's rows (a filtered read, its file at the given parameter slot, and its row count) to count instead of all. */
  sampled: { ref?: (slot: number) => string; cur?: (slot: number) => string; refRows?: number; curRows?: number } = {},
): Promise<Map<string, CategoryCounts | TooManyCategories>> {
  const out = new Map<string, CategoryCounts | TooManyCategories>();
  if (columns.length === 0) return out;
  const from = [sampled.ref?.(1) ?? (await engine.reader(ref.location, ref.format, 1)), sampled.cur?.(2) ?? (await engine.reader(cur.location, cur.format, 2))];
  const params = [ref.location, cur.location];
  // Unfiltered reads (a filter costs more than the read on wide Parquet), a subset only of large Parquet.
  const screens = [await screenRead(engine, ref), await screenRead(engine, cur)];
  const label = `${ref.location} vs ${cur.location}`;
  const limit = Math.floor(maxCategories * 1.2);
  const rows = (sampled.ref ? sampled.refRows : ref.rows) ?? Infinity;
  const curRows = (sampled.cur ? sampled.curRows : cur.rows) ?? Infinity;
  for (let i = 0; i < columns.length; i += COUNT_BATCH_COLUMNS) {
    const batch = columns.slice(i, i + COUNT_BATCH_COLUMNS);
    // Per side, straight from each column; HyperLogLog's error is a few per cent, so a margin keeps every
    // column near the limit in the exact count.
    const distinct = `SELECT ${batch.map((c, k) => `approx_count_distinct(${ident(c)})::BIGINT AS "d${k}"`).join(', ')} FROM`;
    const [a, b] = await Promise.all(screens.map((f, s) => engine.rows(`${distinct} ${f}`, [params[s]!], label)));
    const counted = batch.filter((c, k) => {
      const d = Math.max(Number(a?.[0]?.[`d${k}`] ?? 0), Number(b?.[0]?.[`d${k}`] ?? 0));
      if (d > limit) out.set(c, { approxDistinct: d });
      return d <= limit;
    });
    const unpivot = (rows + curRows) * counted.length <= UNPIVOT_MAX_PAIRS;
    const per = unpivot ? counted.length : GROUPING_SETS_COLUMNS;
    for (let j = 0; j < counted.length; j += per) {
      const part = counted.slice(j, j + per);
      const found = await engine.rows(countQuery(part, from, maxCategories, unpivot), params, label);
      for (const [name, c] of categoriesOf(part, found)) out.set(name, c);
    }
  }
  return out;
}

/** The count query's rows per column: its categories, or (a row without a value) only how many there are. */
export function categoriesOf(columns: string[], rows: Record<string, unknown>[]): Map<string, CategoryCounts | TooManyCategories> {
  const out = new Map<string, CategoryCounts | TooManyCategories>(columns.map((name) => [name, { categories: [], ref: [], cur: [], nRef: 0, nCur: 0 }]));
  for (const r of rows) {
    const name = columns[Number(r.k)]!;
    if (r.v === null) {
      // Over the limit in full although not in the screen: only its number of categories came back.
      out.set(name, { approxDistinct: Number(r.d) });
      continue;
    }
    addCategory(out.get(name) as CategoryCounts, String(r.v), Number(r.a), Number(r.b));
  }
  return out;
}

/** One more category (in order) with its counts on each side. */
export function addCategory(c: CategoryCounts, value: string, a: number, b: number): void {
  c.categories.push(value);
  c.ref.push(a);
  c.cur.push(b);
  c.nRef += a;
  c.nCur += b;
}

/**
 * Both sides' counts per (column, value), and for a column with more than `max` categories one row with
 * its count and no value. Grouped per column with GROUPING SETS (in each output row exactly one column is
 * set, the one it counts; rows of NULLs are the NULL counts, left out), or unpivoted into pairs.
 */
export function countQuery(columns: string[], from: string[], max: number, unpivot: boolean): string {
  const side = (f: string) => {
    if (unpivot) return `SELECT k, v, count(*) AS n FROM (SELECT unnest(range(${columns.length})) AS k, unnest([${columns.map((c) => `${ident(c)}::VARCHAR`).join(', ')}]) AS v FROM ${f}) GROUP BY k, v`;
    const which = `CASE ${columns.map((c, k) => `WHEN ${ident(c)} IS NOT NULL THEN ${k}`).join(' ')} END`;
    const value = `coalesce(${columns.map((c) => `${ident(c)}::VARCHAR`).join(', ')})`;
    const grouped = `SELECT ${columns.map(ident).join(', ')}, count(*) AS n FROM ${f} GROUP BY GROUPING SETS (${columns.map((c) => `(${ident(c)})`).join(', ')})`;
    return `SELECT ${which} AS k, ${value} AS v, n FROM (${grouped})`;
  };
  const joined = `SELECT k, v, sum(n) FILTER (WHERE s = 0)::BIGINT AS a, sum(n) FILTER (WHERE s = 1)::BIGINT AS b FROM (
      SELECT 0 AS s, * FROM (${side(from[0]!)}) UNION ALL SELECT 1 AS s, * FROM (${side(from[1]!)})) WHERE k IS NOT NULL AND v IS NOT NULL GROUP BY k, v`;
  return `WITH j AS MATERIALIZED (${joined}), c AS (SELECT k, count(*) AS d FROM j GROUP BY k)
    SELECT j.k, j.v, coalesce(j.a, 0) AS a, coalesce(j.b, 0) AS b, c.d FROM j JOIN c USING (k) WHERE c.d <= ${max}
    UNION ALL SELECT k, NULL, NULL, NULL, d FROM c WHERE d > ${max}
    ORDER BY k, v`;
}

/** What the id screen reads: a side, or a seeded subset of about SCREEN_ROWS rows of a large Parquet side. */
async function screenRead(engine: DataEngine, side: Side): Promise<string> {
  const parquet = (side.format === 'auto' ? detectFormat(side.location) : side.format) === 'parquet';
  const every = side.rows !== undefined ? Math.ceil(side.rows / SCREEN_ROWS) : 1;
  if (!parquet || every <= 1) return engine.reader(side.location, side.format, 1);
  return `(SELECT * FROM read_parquet($1, file_row_number = true) WHERE hash(file_row_number, ${SAMPLE_SEED}::BIGINT) % ${every} = 0)`;
}
