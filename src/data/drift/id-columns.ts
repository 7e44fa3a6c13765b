import { describe } from '../fingerprint.js';
import { logicalType } from '../column-types.js';
import { ident, type DataEngine } from '../engine.js';
import type { Side } from './numeric.js';

/** Below this many rows, all-distinct values say nothing: a small sample of any column can be all distinct. */
export const ID_MIN_ROWS = 20;
/** Columns per aggregate query, as validation batches them: one pass per batch, bounded SQL size. */
const BATCH = 500;

/**
 * Columns that identify rows, which drift tests must not look at: every new batch of ids "drifted" from the last
 * one, by construction. They are the validation's `uniqueKey` columns, and integer or string columns whose
 * values on the reference side are all distinct (at least ID_MIN_ROWS rows). Returns column → why.
 * One HyperLogLog pass finds candidates (approx_count_distinct is within a few percent), then an exact count
 * confirms them, so only likely ids pay for a full distinct count.
 */
export async function rowIdentifierColumns(engine: DataEngine, ref: Side, uniqueKey: readonly string[] = []): Promise<Record<string, string>> {
  const why: Record<string, string> = {};
  for (const k of uniqueKey) why[k] = 'row identifier (validation.uniqueKey): not drift-tested';
  const schema = await describe(engine, ref.location, ref.format);
  const candidates = schema.filter((c) => !why[c.name] && ['integer', 'string'].includes(logicalType(c.type))).map((c) => c.name);
  if (candidates.length === 0) return why;
  const from = await engine.reader(ref.location, ref.format);
  const q = (sql: string) => engine.rows(sql, [ref.location], ref.location);
  const likely: string[] = [];
  let rows = 0;
  for (let i = 0; i < candidates.length; i += BATCH) {
    const batch = candidates.slice(i, i + BATCH);
    const [r] = await q(`SELECT count(*)::BIGINT AS n, ${batch.map((c, j) => `approx_count_distinct(${ident(c)})::BIGINT AS d${j}, count(${ident(c)})::BIGINT AS v${j}`).join(', ')} FROM ${from}`);
    rows = Number(r!.n);
    if (rows < ID_MIN_ROWS) return why;
    // Nulls are not ids; a column with nulls is not a row identifier.
    batch.forEach((c, j) => {
      if (Number(r![`v${j}`]) === rows && Number(r![`d${j}`]) >= 0.9 * rows) likely.push(c);
    });
  }
  for (let i = 0; i < likely.length; i += BATCH) {
    const batch = likely.slice(i, i + BATCH);
    const [r] = await q(`SELECT ${batch.map((c, j) => `count(DISTINCT ${ident(c)})::BIGINT AS d${j}`).join(', ')} FROM ${from}`);
    batch.forEach((c, j) => {
      if (Number(r![`d${j}`]) === rows) why[c] = `row identifier (all ${rows} reference values distinct): not drift-tested; set drift.testIdColumns to test it`;
    });
  }
  return why;
}
