// The sort floor of a drift report (issue 18, item 4): the numeric columns' values of both sides read and sorted, and
// nothing else, in this process. Two ways, each timed alone: DuckDB's ORDER BY, and the values read unsorted and
// sorted by Float64Array.prototype.sort. Prints seconds per way and the peak RSS (VmHWM) as JSON.
import { readFileSync } from 'node:fs';
import { DataEngine, ident } from '../src/data/engine.js';
import { describe } from '../src/data/fingerprint.js';

const [ref, cur] = process.argv.slice(2) as [string, string];
const engine = await DataEngine.open({ memoryLimit: '768MB' });
const numeric = (await describe(engine, ref, 'parquet')).filter((c) => c.type === 'DOUBLE').map((c) => c.name);
const [{ n }] = (await engine.rows('SELECT count(*)::BIGINT AS n FROM read_parquet($1)', [ref])) as [{ n: number }];
let check = 0; // keeps the sorted values observable, so no step is optimised away
async function timed(sort: (file: string, column: string) => Promise<Float64Array>): Promise<number> {
  const t = performance.now();
  for (const column of numeric) for (const file of [ref, cur]) check += (await sort(file, column))[0]!;
  return (performance.now() - t) / 1000;
}
const duckdbSort = await timed((file, column) => engine.doubles(`SELECT ${ident(column)} AS v FROM read_parquet($1) WHERE ${ident(column)} IS NOT NULL ORDER BY v`, [file], Number(n)));
const typedArraySort = await timed(async (file, column) => (await engine.doubleColumns(`SELECT ${ident(column)}::DOUBLE FROM read_parquet($1)`, [file], Number(n)))[0]!.sort());
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ columns: numeric.length, duckdbSort, typedArraySort, peakMiB: Number(hwm?.[1] ?? 0) / 1024, check: Number.isFinite(check) }));
