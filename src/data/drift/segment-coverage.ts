import type { DataEngine } from '../engine.js';
import { describe } from '../fingerprint.js';
import type { Violation } from '../validate.js';
import { rowCount, type Side } from './numeric.js';
import { segmentCounts, segmentLabel } from './segments.js';

export interface CoverageSpec {
  column: string;
  minRows: number;
  /** Missing below this share of the rows the segment's reference share predicts for the current data. */
  missingShare: number;
  missing: 'error' | 'warn' | 'off';
}

/**
 * "Segment missing from current data" (a region that stopped sending data): every value with at least `minRows`
 * reference rows is expected in the current data at its reference share; fewer than `missingShare` of those rows
 * (always: zero rows) is a violation naming the column and the value. One DuckDB pass per segment column. A segment
 * column absent from either dataset is left to the schema comparison, which reports missing columns.
 */
export async function missingSegments(engine: DataEngine, ref: Side, cur: Side, specs: CoverageSpec[]): Promise<Violation[]> {
  const wanted = specs.filter((s) => s.missing !== 'off');
  if (!wanted.length) return [];
  const refCols = new Set((await describe(engine, ref.location, ref.format)).map((c) => c.name));
  const curCols = new Set((await describe(engine, cur.location, cur.format)).map((c) => c.name));
  const refRows = await rowCount(engine, ref);
  const curRows = await rowCount(engine, cur);
  const out: Violation[] = [];
  for (const spec of wanted) {
    if (!refCols.has(spec.column) || !curCols.has(spec.column) || refRows === 0) continue;
    for (const c of await segmentCounts(engine, ref, cur, spec.column, spec.minRows)) {
      if (c.value === null || c.refRows < spec.minRows) continue;
      const predicted = (c.refRows * curRows) / refRows;
      const needed = spec.missingShare * predicted;
      if (c.curRows > 0 && c.curRows >= needed) continue;
      out.push({
        rule: 'segment_missing',
        column: spec.column,
        expected: `segment ${JSON.stringify(segmentLabel(c.value))} present: at least ${Math.ceil(needed)} rows (${spec.missingShare * 100}% of the ${Math.round(predicted)} its reference share of ${c.refRows} rows predicts)`,
        observed: `${c.curRows} rows`,
        samples: [segmentLabel(c.value)],
        severity: spec.missing === 'warn' ? 'warn' : 'error',
      });
    }
  }
  return out;
}
