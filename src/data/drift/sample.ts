import { ident, type DataEngine } from '../engine.js';
import { SAMPLE_SEED } from './budget.js';
import type { Side } from './numeric.js';

let tables = 0;

/**
 * One pass over a side: a uniform reservoir sample of `n` rows of the given columns (as DOUBLE),
 * the same rows for every column, kept as an in-memory table. A seeded reservoir runs on one thread
 * in DuckDB (its sink is not parallel), which is what makes it repeatable. Not a TEMP table: those
 * belong to one connection, and the engine's queries take any of its connections.
 */
export async function sampleTable(engine: DataEngine, side: Side, columns: string[], n: number): Promise<{ table: string; rows: number; drop: () => Promise<void> }> {
  const table = ident(`__retrain_drift_sample_${++tables}`);
  const select = columns.map((c) => `${ident(c)}::DOUBLE AS ${ident(c)}`).join(', ');
  await engine.rows(
    `CREATE TABLE ${table} AS SELECT ${select} FROM ${await engine.reader(side.location, side.format)} USING SAMPLE reservoir(${Math.floor(n)} ROWS) REPEATABLE (${SAMPLE_SEED})`,
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
