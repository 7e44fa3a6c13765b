/**
 * Wide-data benchmark (issue 13, item 13): fingerprint, validation and drift on 10,000 columns, as
 * Parquet (50,000 rows, ~1 GB a file) and as CSV (300 rows). Drift runs sampled (the default value
 * budget) and exact (`exact: true`) side by side. Not part of `npm run bench`: the files take minutes
 * to build and gigabytes of disk.
 *   npx tsx bench/wide.ts [--dir /tmp/retrain-wide] [--only parquet|csv] [--steps fingerprint,validate,drift,drift-exact]
 * Every step runs in its own child process, one after the other, so each peak RSS (VmHWM) is its own.
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { validationSchema } from '../src/config/schema.js';
import { detectDrift } from '../src/data/drift/detect.js';
import { DataEngine } from '../src/data/engine.js';
import { fingerprint } from '../src/data/fingerprint.js';
import { validateDataset } from '../src/data/validate.js';

const COLUMNS = 10_000;
/** Columns whose current values are shifted far: the drift report must flag exactly these. */
export const SHIFTED = [3, 17, 1500, 7777];
const SIZES = { parquet: 50_000, csv: 300 } as const;
type Format = keyof typeof SIZES;

/** Every tenth column is a 5-category text column, the others doubles with 100,000 distinct values. */
function columnExprs(seed: number, shift: boolean): string[] {
  return Array.from({ length: COLUMNS }, (_, i) => {
    if (i % 10 === 9) return `(hash(i, ${i}, ${seed}) % 5)::VARCHAR AS c${i}`;
    const base = `((hash(i, ${i}, ${seed}) % 100000)::DOUBLE / 1000)`;
    return `${base}${shift && SHIFTED.includes(i) ? ' + 500' : ''} AS c${i}`;
  });
}

async function build(dir: string, format: Format): Promise<{ ref: string; cur: string }> {
  mkdirSync(dir, { recursive: true });
  const rows = SIZES[format];
  const files = { ref: path.join(dir, `ref-${COLUMNS}x${rows}.${format}`), cur: path.join(dir, `cur-${COLUMNS}x${rows}.${format}`) };
  const engine = await DataEngine.open({ memoryLimit: '4GB' });
  for (const [side, file] of Object.entries(files)) {
    if (existsSync(file)) continue;
    const tmp = `${file}.partial`; // an interrupted build never leaves a truncated file to reuse
    // Small row groups: the Parquet writer holds one row group of all 10,000 columns in memory.
    const opts = format === 'parquet' ? '(FORMAT parquet, ROW_GROUP_SIZE 4096)' : '(FORMAT csv, HEADER true)';
    await engine.rows(`COPY (SELECT ${columnExprs(side === 'ref' ? 1 : 2, side === 'cur').join(', ')} FROM range(${rows}) t(i)) TO '${tmp}' ${opts}`);
    renameSync(tmp, file);
  }
  engine.close();
  return files;
}

/** One step in this process; prints seconds, peak RSS and a summary as JSON. */
async function child(step: string, ref: string, cur: string): Promise<void> {
  const t = performance.now();
  const engine = await DataEngine.open(); // the memory limit the worker and the CLI use
  let summary: unknown;
  if (step === 'fingerprint') {
    const fp = await fingerprint(engine, cur);
    summary = { rows: fp.rows, columns: fp.schema.length };
  } else if (step === 'validate') {
    const report = await validateDataset(engine, cur, { data: { target: 'c0', format: 'auto' }, validation: validationSchema.parse({ minRows: 1 }) });
    summary = { rows: report.rows, violations: report.violations.length };
  } else {
    const report = await detectDrift(engine, { location: ref, format: 'auto' }, { location: cur, format: 'auto' }, { exact: step === 'drift-exact' });
    const drifted = new Set(report.columns.filter((c) => c.drifted).map((c) => c.column));
    // On 300 rows the p-value tests flag about 5% of 10,000 unshifted columns by chance; the shifted ones must all be there.
    summary = { drifted: drifted.size, shiftedFound: SHIFTED.every((i) => drifted.has(`c${i}`)), datasetDrift: report.datasetDrift, sampled: report.sampled ?? null };
  }
  const seconds = (performance.now() - t) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(JSON.stringify({ step, seconds, peakMiB: Math.round(Number(hwm?.[1] ?? 0) / 1024), summary }));
}

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: path.join(tmpdir(), 'retrain-wide') },
    only: { type: 'string' },
    steps: { type: 'string', default: 'fingerprint,validate,drift,drift-exact' },
    child: { type: 'string' },
    ref: { type: 'string' },
    cur: { type: 'string' },
  },
});

if (values.child) await child(values.child, values.ref!, values.cur!);
else {
  for (const format of (values.only ? [values.only] : ['csv', 'parquet']) as Format[]) {
    const { ref, cur } = await build(values.dir, format);
    for (const step of values.steps.split(',').filter(Boolean)) {
      const run = await execa(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', step, '--ref', ref, '--cur', cur]);
      console.log(`${format} ${COLUMNS}×${SIZES[format]}: ${run.stdout}`);
    }
  }
}
