/**
 * Drift per segment (issue 15 §2), measured once: 1M rows × 20 columns (15 numeric, 4 five-category text, the segment
 * column `region` with 20 values) per side, Parquet. Times whole-dataset drift and per-segment drift on the same data.
 * Not part of `npm run bench`.
 *   npx tsx bench/segments.ts [--dir /tmp/retrain-segments] [--rows 1000000]
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { detectDrift } from '../src/data/drift/detect.js';
import { detectSegmentDrift } from '../src/data/drift/segments.js';
import { DataEngine } from '../src/data/engine.js';

const { values } = parseArgs({ options: { dir: { type: 'string', default: path.join(tmpdir(), 'retrain-segments') }, rows: { type: 'string', default: '1000000' } } });
const rows = Number(values.rows);
const dir = values.dir!;
mkdirSync(dir, { recursive: true });

/** Region r holds ~1/20 of the rows; in the current data region 7's numeric columns move by 0.5 std. */
function columns(seed: number, shift: boolean): string[] {
  const region = `'r' || (hash(i, 0, ${seed}) % 20)::VARCHAR`;
  const moved = shift ? `CASE WHEN hash(i, 0, ${seed}) % 20 = 7 THEN 0.5 ELSE 0 END` : '0';
  return [
    `${region} AS region`,
    ...Array.from({ length: 15 }, (_, k) => `((hash(i, ${k + 1}, ${seed}) % 100000)::DOUBLE / 100000 * 3.4641 + ${moved}) AS x${k}`),
    ...Array.from({ length: 4 }, (_, k) => `(hash(i, ${k + 100}, ${seed}) % 5)::VARCHAR AS c${k}`),
  ];
}

const engine = await DataEngine.open();
const file = (name: string) => path.join(dir, `${name}-${rows}.parquet`);
for (const [name, seed, shift] of [['ref', 1, false], ['cur', 2, true]] as const) {
  if (existsSync(file(name))) continue;
  await engine.rows(`COPY (SELECT ${columns(seed, shift).join(', ')} FROM range(${rows}) t(i)) TO '${file(name)}' (FORMAT parquet)`);
}
const ref = { location: file('ref'), format: 'parquet' as const };
const cur = { location: file('cur'), format: 'parquet' as const };
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const out = await fn();
  return [out, (performance.now() - t0) / 1000];
};
const [whole, wholeS] = await time(() => detectDrift(engine, ref, cur, { exclude: [] }));
const [segs, segS] = await time(() => detectSegmentDrift(engine, ref, cur, [{ column: 'region', minRows: 500, top: 20 }]));
const c = segs.columns[0]!;
console.log(JSON.stringify({
  rows,
  datasetDrift: { seconds: Number(wholeS.toFixed(2)), driftedShare: whole.driftedShare, sampled: whole.sampled ?? null },
  segments: { seconds: Number(segS.toFixed(2)), tested: c.segments.length, passes: c.passes, drifted: c.segments.filter((s) => s.datasetDrift).map((s) => `${s.value}: ${s.driftedColumns.length}`) },
  ratio: Number((segS / wholeS).toFixed(2)),
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
}, null, 2));
engine.close();
