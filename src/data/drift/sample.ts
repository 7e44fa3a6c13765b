import { ident, type DataEngine } from '../engine.js';
import { SAMPLE_SEED } from './budget.js';
import type { Side } from './numeric.js';

let tables = 0;

/**
 * One pass over a side: a uniform reservoir sample of `n` rows of the given columns (as DOUBLE; all
 * rows when `n` is null, for a CSV within the budget, which the batches would otherwise parse again each),
 * the same rows for every column, kept as an in-memory table. A seeded reservoir runs on one thread
 * in DuckDB (its sink is not parallel), which is what makes it repeatable. Not a TEMP table: those
 * belong to one connection, and the engine's queries take any of its connections. `from` reads
 * something else than the side's file (a filtered read of it, with the file as $1).
 */
export async function sampleTable(engine: DataEngine, side: Side & { from?: string }, columns: string[], n: number | null): Promise<{ table: string; rows: number; drop: () => Promise<void> }> {
  const table = ident(`__retrain_drift_sample_${++tables}`);
  const select = columns.map((c) => `${ident(c)}::DOUBLE AS ${ident(c)}`).join(', ');
  await engine.rows(
    `CREATE TABLE ${table} AS SELECT ${select} FROM ${side.from ?? (await engine.reader(side.location, side.format))} ${n === null ? '' : ` USING SAMPLE reservoir(${Math.floor(n)} ROWS) REPEATABLE (${SAMPLE_SEED})`}`,
    [side.location],
    side.location,
  );
  const drop = async () => void (await engine.rows(`DROP TABLE IF EXISTS ${table}`));
  try {
    const [r] = await engine.rows(`SELECT count(*)::BIGINT AS n FROM ${table}`);
    return { table, rows: Number(r?.n ?? 0), drop };
  } catch (err) {
    await drop();
    throw err;
  }
}

/**
 * Parquet: the sample as a row filter, not a table. Reading all of a wide file's columns at once
 * takes a column reader (and its buffers) per column, which ran a 10,000-column file out of DuckDB's
 * memory; so each numeric batch reads only its own columns, and a filter on a seeded hash of the row
 * position picks the same `n` rows in every batch: the `n` smallest hashes, found in one pass over
 * the row numbers alone. The row's file name joins the hash only for a glob of several files, so a
 * single file copied elsewhere samples the same rows.
 */
export async function parquetSampleScan(engine: DataEngine, side: Side, n: number): Promise<{ from: string; params: [string]; rows: number; at: (slot: number) => string }> {
  const [files] = await engine.rows('SELECT count(*)::BIGINT AS n FROM glob($1)', [side.location], side.location);
  const several = Number(files?.n ?? 0) > 1;
  const h = `hash(${several ? 'filename, ' : ''}file_row_number, ${SAMPLE_SEED}::BIGINT)`;
  const read = `read_parquet($1, file_row_number = true${several ? ', filename = true' : ''})`;
  const [cut] = await engine.rows(
    `SELECT max(h)::VARCHAR AS t, count(*)::BIGINT AS n FROM (SELECT ${h} AS h FROM ${read} ORDER BY h LIMIT ${Math.floor(n)})`,
    [side.location],
    side.location,
  );
  const threshold = String(cut?.t ?? '0');
  if (!/^\d+$/.test(threshold)) throw new Error(`unexpected hash threshold ${threshold}`);
  const at = (slot: number) => `(SELECT * FROM ${read.replace('$1', `$${slot}`)} WHERE ${h} <= ${threshold}::UBIGINT)`;
  return { from: at(1), params: [side.location], rows: Number(cut?.n ?? 0), at };
}
