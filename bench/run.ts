/**
 * `npm run bench`: benchmarks as ratios against a baseline run side by side. Each benchmark's
 * result is kept in bench/results.json, and BENCHMARKS.md is rendered from all of them, so one
 * benchmark can be re-run alone:
 *   npm run bench                                   all, drift at 1,000,000 rows
 *   npm run bench -- --rows 10000000                the full size
 *   npm run bench -- --only evidently --evidently-rows 100000
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchDrift, benchEvidently, type DriftBenchResult, type EvidentlyBenchResult } from './drift.js';

interface Results {
  /** Drift runs by row count, so a quick 1M run does not overwrite a long 10M one. */
  drift?: Record<string, DriftBenchResult & { at: string }>;
  evidently?: EvidentlyBenchResult & { at: string };
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    'evidently-rows': { type: 'string', default: '100000' },
    only: { type: 'string' },
  },
});
const RESULTS = path.resolve(import.meta.dirname, 'results.json');
const results: Results = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Results) : {};
// Earlier results kept one drift run; key it by its row count.
const legacy = results.drift as unknown as (DriftBenchResult & { at: string }) | undefined;
if (legacy && typeof legacy.rows === 'number') results.drift = { [legacy.rows]: legacy };
const wanted = new Set((values.only ?? 'drift,evidently').split(','));
const at = new Date().toISOString();
const say = (l: string) => process.stderr.write(`${l}\n`);

if (wanted.has('drift')) {
  const rows = Number(values.rows);
  say(`drift: ${rows.toLocaleString()} rows × 20 columns, ours vs numpy/scipy …`);
  results.drift = { ...results.drift, [rows]: { ...(await benchDrift(rows)), at } };
}
if (wanted.has('evidently')) {
  const rows = Number(values['evidently-rows']);
  say(`drift: ${rows.toLocaleString()} rows × 20 columns, ours vs Evidently …`);
  results.evidently = { ...(await benchEvidently(rows)), at };
}
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

const secs = (x: { seconds: number } | null | undefined) => (x ? x.seconds.toFixed(2) : '');
const mib = (x: { peakMiB: number } | null | undefined) => (x ? x.peakMiB.toFixed(0) : '');
const times = (base: { seconds: number } | null | undefined, ours: { seconds: number }) => (base ? `${(base.seconds / ours.seconds).toFixed(2)}×` : 'n/a');
const lines = [
  '# Benchmarks',
  '',
  `Rendered by \`npm run bench\` from bench/results.json. Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}.`,
  'Each row pair ran side by side in one run on this machine; ratios, not absolute times, are the result.',
  '',
];
for (const d of Object.values(results.drift ?? {}).sort((a, b) => a.rows - b.rows)) {
  lines.push(
    `## Drift report: ${d.rows.toLocaleString()} rows × 20 columns (12 numeric, 8 categorical), Parquet (${d.at.slice(0, 10)})`,
    '',
    '| run | seconds | peak RSS MiB | speed-up over numpy/scipy |',
    '|---|---|---|---|',
    `| temporal-retrain (DuckDB, memory limit 768 MB) | ${secs(d.ours)} | ${mib(d.ours)} | ${times(d.baseline, d.ours)} |`,
    `| numpy/scipy baseline (same statistics) | ${d.baseline ? secs(d.baseline) : 'not run at this size'} | ${mib(d.baseline)} | 1× |`,
    '',
    `Fingerprint throughput on the reference Parquet file: ${d.fingerprint.mibPerSec.toFixed(0)} MiB/s`,
    `(streamed sha256 + DuckDB row count and schema) vs ${d.fingerprint.rawSha256MibPerSec.toFixed(0)} MiB/s for raw sha256 of the same file`,
    `(node:crypto), i.e. ${((100 * d.fingerprint.mibPerSec) / d.fingerprint.rawSha256MibPerSec).toFixed(0)}% of raw hashing speed.`,
    '',
  );
}
const e = results.evidently;
if (e) {
  lines.push(
    `## Against Evidently's DataDriftPreset: ${e.rows.toLocaleString()} rows × 20 columns (${e.at.slice(0, 10)})`,
    '',
    '| run | seconds | peak RSS MiB | speed-up over Evidently |',
    '|---|---|---|---|',
    `| temporal-retrain (DuckDB) | ${secs(e.ours)} | ${mib(e.ours)} | ${times(e.evidently, e.ours)} |`,
    `| Evidently DataDriftPreset | ${e.evidently ? secs(e.evidently) : 'not installed: python -m venv .tools/evidently && .tools/evidently/bin/pip install evidently pyarrow "pandas<3"'} | ${mib(e.evidently)} | 1× |`,
    '',
  );
}
writeFileSync(path.resolve(import.meta.dirname, '..', 'BENCHMARKS.md'), lines.join('\n'));
process.stdout.write(`${lines.join('\n')}\n`);
