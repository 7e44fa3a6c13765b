/**
 * Drift benchmark: N rows × 20 columns (12 numeric, 8 categorical) generated as Parquet by DuckDB,
 * reference vs current, our DuckDB drift report against the numpy/scipy baseline on the same files.
 * Also fingerprint throughput against raw sha256 of the same bytes.
 *   npm run bench -- --rows 10000000      (default 1,000,000 to keep a run short)
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { DataEngine } from '../src/data/engine.js';
import { detectDrift } from '../src/data/drift/detect.js';
import { fingerprint } from '../src/data/fingerprint.js';
import { TOOLS_DIR } from '../src/temporal/cli-binary.js';

export interface DriftBenchResult {
  rows: number;
  ours: { seconds: number; peakMiB: number };
  baseline: { seconds: number; peakMiB: number } | null;
  fingerprint: { mibPerSec: number; rawSha256MibPerSec: number };
  /** The sort floor (bench/drift-floor.ts): only reading and sorting the numeric columns' values, in seconds. */
  floor?: { duckdbSort: number; typedArraySort: number; peakMiB: number };
  /**
   * Ours with the reference's sorted columns kept between checks (sorted-cache.ts): the first check after a
   * promotion sorts and writes them, every later one reads them back and sorts the current side only.
   */
  cached?: { first: Timing; later: Timing; cacheMiB: number };
  /** The 1-minute load average when ours ran: on a busy machine every figure is slower, the ratios less so. */
  load?: number;
}

const DIR = path.resolve(import.meta.dirname, 'data');
/** Above this the numpy/scipy baseline is not run ("not run at this size"); ours runs at 100M rows within 8 GiB. */
const BASELINE_MAX_ROWS = 20_000_000;

async function generate(engine: DataEngine, file: string, rows: number, shift: number) {
  if (existsSync(file)) return;
  const numeric = Array.from({ length: 12 }, (_, i) => `(random() + random() + random() - 1.5 + ${shift * (i % 3)})::DOUBLE AS n${i}`);
  const categorical = Array.from({ length: 8 }, (_, i) => `('c' || (floor(random() * ${5 + i * 3} + ${shift} * random() * 2))::INT)::VARCHAR AS c${i}`);
  // Written under a temporary name, so an interrupted run never leaves a truncated file to reuse.
  const tmp = `${file}.partial`;
  await engine.rows(`COPY (SELECT ${[...numeric, ...categorical].join(', ')} FROM range(${rows})) TO '${tmp}' (FORMAT parquet)`);
  renameSync(tmp, file);
}

async function rawSha256(file: string): Promise<number> {
  const t = performance.now();
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  h.digest();
  return (performance.now() - t) / 1000;
}

type Timing = { seconds: number; peakMiB: number };
type ColumnScores = Record<string, { test: string; score: number }>;

/** The generated reference/current Parquet pair for a size (reused when already there). */
async function dataPair(rows: number): Promise<{ ref: string; cur: string }> {
  mkdirSync(DIR, { recursive: true });
  const ref = path.join(DIR, `ref-${rows}.parquet`);
  const cur = path.join(DIR, `cur-${rows}.parquet`);
  const gen = await DataEngine.open();
  await generate(gen, ref, rows, 0);
  await generate(gen, cur, rows, 0.05);
  gen.close();
  return { ref, cur };
}

/** Ours runs in a child process so its peak memory is measured on its own. */
async function runOurs(ref: string, cur: string, cacheDir?: string): Promise<Timing & { driftedShare: number; columns: ColumnScores }> {
  const child = await execa(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'drift-run.ts'), ref, cur, ...(cacheDir ? [cacheDir] : [])]);
  return JSON.parse(child.stdout) as Timing & { driftedShare: number; columns: ColumnScores };
}

export async function benchDrift(rows: number): Promise<DriftBenchResult> {
  const { ref, cur } = await dataPair(rows);
  const load = os.loadavg()[0]!;
  const timing = await runOurs(ref, cur);
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'retrain-sorted-'));
  const first = await runOurs(ref, cur, cacheDir);
  const later = await runOurs(ref, cur, cacheDir);
  const cacheMiB = readdirSync(cacheDir).reduce((a, f) => a + statSync(path.join(cacheDir, f)).size, 0) / 2 ** 20;
  rmSync(cacheDir, { recursive: true, force: true });
  if (later.driftedShare !== timing.driftedShare || JSON.stringify(later.columns) !== JSON.stringify(timing.columns)) throw new Error('the drift report from the sorted-reference cache differs from the one without it');
  const floorRun = await execa(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'drift-floor.ts'), ref, cur]);
  const floor = JSON.parse(floorRun.stdout) as NonNullable<DriftBenchResult['floor']>;

  const python = path.join(TOOLS_DIR, 'py', 'bin', 'python');
  // numpy/scipy holds every value as float64 objects' arrays: 6.4 GB at 10M rows, so 100M would not fit this machine.
  const base = existsSync(python) && rows <= BASELINE_MAX_ROWS
    ? await execa(python, [path.join(import.meta.dirname, 'drift_baseline.py'), ref, cur], { reject: false })
    : undefined;
  const baseline = base?.exitCode === 0 ? (JSON.parse(base.stdout) as { seconds: number; peakMiB: number }) : null;

  // Three rounds, alternating, best of each: one cold read would measure the page cache, not the hashing.
  const engine = await DataEngine.open();
  const mib = statSync(ref).size / 2 ** 20;
  let ours = Infinity;
  let raw = Infinity;
  for (let round = 0; round < 3; round++) {
    const t = performance.now();
    await fingerprint(engine, ref);
    ours = Math.min(ours, (performance.now() - t) / 1000);
    raw = Math.min(raw, await rawSha256(ref));
  }
  engine.close();
  return {
    rows,
    ours: { seconds: timing.seconds, peakMiB: timing.peakMiB },
    baseline,
    fingerprint: { mibPerSec: mib / ours, rawSha256MibPerSec: mib / raw },
    cached: { first: { seconds: first.seconds, peakMiB: first.peakMiB }, later: { seconds: later.seconds, peakMiB: later.peakMiB }, cacheMiB },
    floor: { duckdbSort: floor.duckdbSort, typedArraySort: floor.typedArraySort, peakMiB: floor.peakMiB },
    load,
  };
}

export interface Agreement {
  columns: number;
  /** Columns where both picked the same test. */
  sameTest: number;
  /** Largest difference between the two scores (p-value or distance) among those columns. */
  maxScoreDifference: number;
  driftedShare: { ours: number; evidently: number };
}

export interface EvidentlyBenchResult {
  rows: number;
  ours: { seconds: number; peakMiB: number };
  evidently: { seconds: number; peakMiB: number } | null;
  agreement: Agreement | null;
}

/** Evidently's method display names, as our test names. */
function testOf(method: string): string {
  const known: [RegExp, string][] = [[/wasserstein/i, 'wasserstein'], [/jensen/i, 'jensenshannon'], [/K-S/, 'ks'], [/chi-square/i, 'chisquare'], [/Z-test/i, 'ztest'], [/PSI/, 'psi']];
  return known.find(([re]) => re.test(method))?.[1] ?? method;
}

function agreement(ours: { driftedShare: number; columns: ColumnScores }, theirs: { driftedShare: number; columns: Record<string, { method: string; score: number }> }): Agreement {
  const names = Object.keys(theirs.columns);
  const same = names.filter((n) => ours.columns[n]?.test === testOf(theirs.columns[n]!.method));
  const maxScoreDifference = Math.max(0, ...same.map((n) => Math.abs(ours.columns[n]!.score - theirs.columns[n]!.score)));
  return { columns: names.length, sameTest: same.length, maxScoreDifference, driftedShare: { ours: ours.driftedShare, evidently: theirs.driftedShare } };
}

/** Evidently's DataDriftPreset vs ours on a smaller pair (Evidently holds everything in pandas). */
export async function benchEvidently(rows: number): Promise<EvidentlyBenchResult> {
  const { ref, cur } = await dataPair(rows);
  const ours = await runOurs(ref, cur);
  const python = process.env.EVIDENTLY_PYTHON ?? path.join(TOOLS_DIR, 'evidently', 'bin', 'python');
  const run = existsSync(python) ? await execa(python, [path.join(import.meta.dirname, 'drift_evidently.py'), ref, cur], { reject: false }) : undefined;
  if (run && run.exitCode !== 0) process.stderr.write(`evidently run failed: ${run.stderr.split('\n').slice(-3).join(' ')}\n`);
  const out = run?.exitCode === 0 ? (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Timing & Parameters<typeof agreement>[1]) : null;
  return {
    rows,
    ours: { seconds: ours.seconds, peakMiB: ours.peakMiB },
    evidently: out ? { seconds: out.seconds, peakMiB: out.peakMiB } : null,
    agreement: out ? agreement(ours, out) : null,
  };
}

export interface ValidationBenchResult {
  rows: number;
  ours: { seconds: number; peakMiB: number; violations: number };
  baseline: { seconds: number; peakMiB: number; violations: number } | null;
}

/** The same validation rules over the current Parquet file: ours (DuckDB) against pandas. */
export async function benchValidation(rows: number): Promise<ValidationBenchResult> {
  const { cur } = await dataPair(rows);
  const ours = JSON.parse((await execa(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'validation-run.ts'), cur])).stdout) as ValidationBenchResult['ours'];
  const python = path.join(TOOLS_DIR, 'py', 'bin', 'python');
  // numpy/scipy holds every value as float64 objects' arrays: 6.4 GB at 10M rows, so 100M would not fit this machine.
  const base = existsSync(python) && rows <= BASELINE_MAX_ROWS ? await execa(python, [path.join(import.meta.dirname, 'validation_baseline.py'), cur], { reject: false }) : undefined;
  if (base && base.exitCode !== 0) process.stderr.write(`validation baseline failed: ${base.stderr.split('\n').slice(-3).join(' ')}\n`);
  return { rows, ours, baseline: base?.exitCode === 0 ? (JSON.parse(base.stdout) as ValidationBenchResult['ours']) : null };
}

export { detectDrift };
