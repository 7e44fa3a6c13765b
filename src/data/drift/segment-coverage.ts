import type { DataEngine } from '../engine.js';
import { describe } from '../fingerprint.js';
import type { Violation } from '../validate.js';
import { rowCount, type Side } from './numeric.js';
import { segmentKey, segmentLabel } from './segments.js';

export interface CoverageSpec {
  column: string;
  minRows: number;
  /** Missing below this share of the rows the segment's reference share predicts for the current data. */
  missingShare: number;
  missing: 'error' | 'warn' | 'off';
}

/** Missing segments named one by one, per segment column (the largest first); the others are counted. */
export const MISSING_LISTED = 20;

/**
 * "Segment missing from current data" (a region that stopped sending data): every value with at least `minRows`
 * reference rows is expected in the current data at its reference share; fewer than `missingShare` of those rows
 * (always: zero rows) is a violation naming the column and the value. One DuckDB pass per segment column, which
 * selects the missing values itself: a store column with 20,000 present stores cannot push the missing ones out of a
 * row limit, and 10,000 missing stores give MISSING_LISTED violations plus one that counts them all (the report and
 * the validation error travel in workflow history). A segment column absent from either dataset is left to the
 * schema comparison, which reports missing columns.
 */
export async function missingSegments(engine: DataEngine, ref: Side, cur: Side, specs: CoverageSpec[]): Promise<Violation[]> {
  const wanted = specs.filter((s) => s.missing !== 'off');
  if (!wanted.length) return [];
  const refCols = new Map((await describe(engine, ref.location, ref.format)).map((c) => [c.name, c.type]));
  const curCols = new Map((await describe(engine, cur.location, cur.format)).map((c) => [c.name, c.type]));
  const refRows = await rowCount(engine, ref);
  const curRows = await rowCount(engine, cur);
  const out: Violation[] = [];
  for (const spec of wanted) {
    if (!refCols.has(spec.column) || !curCols.has(spec.column) || refRows === 0) continue;
    // needed = missingShare × (refRows of the value × curRows / refRows), in the same double arithmetic as below.
    const rows = await engine.rows(
      `SELECT v, a, b, count(*) OVER () AS total FROM (
         SELECT v, count(*) FILTER (WHERE s = 0)::BIGINT AS a, count(*) FILTER (WHERE s = 1)::BIGINT AS b FROM (
           SELECT 0 AS s, ${segmentKey(spec.column, refCols.get(spec.column))} AS v FROM ${await engine.reader(ref.location, ref.format, 1)}
           UNION ALL SELECT 1 AS s, ${segmentKey(spec.column, curCols.get(spec.column))} AS v FROM ${await engine.reader(cur.location, cur.format, 2)})
         WHERE v IS NOT NULL GROUP BY v)
       WHERE a >= $3 AND (b = 0 OR b::DOUBLE < $4::DOUBLE * ((a::DOUBLE * $5::DOUBLE) / $6::DOUBLE))
       ORDER BY a DESC, v LIMIT ${MISSING_LISTED}`,
      [ref.location, cur.location, spec.minRows, spec.missingShare, curRows, refRows],
      `${ref.location} vs ${cur.location}`,
    );
    const severity = spec.missing === 'warn' ? 'warn' : 'error';
    for (const r of rows) {
      const value = String(r.v);
      const [a, b] = [Number(r.a), Number(r.b)];
      const predicted = (a * curRows) / refRows;
      const needed = spec.missingShare * predicted;
      out.push({
        rule: 'segment_missing',
        column: spec.column,
        expected: `segment ${JSON.stringify(segmentLabel(value))} present: at least ${Math.ceil(needed)} rows (${spec.missingShare * 100}% of the ${Math.round(predicted)} its reference share of ${a} rows predicts)`,
        observed: `${b} rows`,
        samples: [segmentLabel(value)],
        severity,
      });
    }
    const total = Number(rows[0]?.total ?? 0);
    if (total > rows.length) {
      out.push({
        rule: 'segment_missing',
        column: spec.column,
        expected: `every value with at least ${spec.minRows} reference rows present at ${spec.missingShare * 100}% of its reference share`,
        observed: `${total} segments of ${segmentLabel(spec.column)} missing; the ${rows.length} with the most reference rows are listed`,
        samples: [],
        severity,
      });
    }
  }
  return out;
}
