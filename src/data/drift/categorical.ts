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
