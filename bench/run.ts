/**
 * `npm run bench`: benchmarks as ratios against a baseline run side by side, written to BENCHMARKS.md.
 *   npm run bench -- --rows 10000000
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchDrift } from './drift.js';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
const rows = Number(values.rows);
process.stderr.write(`drift benchmark: ${rows.toLocaleString()} rows × 20 columns, reference vs current …\n`);
const r = await benchDrift(rows);
const ratio = r.baseline ? r.baseline.seconds / r.ours.seconds : NaN;
const lines = [
  '# Benchmarks',
  '',
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}.`,
  '',
  `## Drift report: ${rows.toLocaleString()} rows × 20 columns (12 numeric, 8 categorical), Parquet`,
  '',
  '| run | seconds | peak RSS MiB | speed vs numpy/scipy |',
  '|---|---|---|---|',
  `| temporal-retrain (DuckDB) | ${r.ours.seconds.toFixed(2)} | ${r.ours.peakMiB.toFixed(0)} | ${Number.isNaN(ratio) ? 'n/a' : `${ratio.toFixed(2)}×`} |`,
  `| numpy/scipy baseline | ${r.baseline ? r.baseline.seconds.toFixed(2) : 'not installed (npm run setup)'} | ${r.baseline ? r.baseline.peakMiB.toFixed(0) : ''} | 1× |`,
  '',
  '## Fingerprint throughput',
  '',
  `| fingerprint (sha256 + DuckDB rows/schema) | ${r.fingerprint.mibPerSec.toFixed(0)} MiB/s |`,
  '|---|---|',
  `| raw sha256 of the same file | ${r.fingerprint.rawSha256MibPerSec.toFixed(0)} MiB/s |`,
  '',
];
writeFileSync(path.resolve(import.meta.dirname, '..', 'BENCHMARKS.md'), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
