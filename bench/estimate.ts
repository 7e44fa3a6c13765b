/**
 * CBPE estimator benchmark: a labelled reference of 100,000 rows and an unlabelled current of N rows (Parquet, made
 * by DuckDB: a miscalibrated score, so isotonic calibration is used), `estimateCbpe` whole-period and in 10 chunks,
 * against NannyML's CBPE on the same files when its venv exists (`npm run setup`). Not run by the tests.
 *   npm run bench -- --only estimate --rows 10000000
 *   npx tsx bench/estimate.ts 1000000            (one size, prints JSON)
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { DataEngine } from '../src/data/engine.js';
import { estimateCbpe } from '../src/data/estimate/cbpe.js';
import { TOOLS_DIR } from '../src/temporal/cli-binary.js';

export interface EstimateBenchResult {
  rows: number;
  referenceRows: number;
  ours: { seconds: number; chunkedSeconds: number; peakMiB: number; rocAuc: number; accuracy: number };
  nannyml: { seconds: number; peakMiB: number; rocAuc: number; accuracy: number } | null;
}

const DIR = path.resolve(import.meta.dirname, 'data');
const REFERENCE_ROWS = 100_000;

async function generate(engine: DataEngine, file: string, rows: number, shift: number, labelled: boolean) {
  if (existsSync(file)) return;
  const tmp = `${file}.partial`;
  // x ~ N(shift, 1) by Box–Muller; the model's score is sigmoid(1.5x), the true P(y=1) is sigmoid(x): miscalibrated.
  const x = `(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) + ${shift})`;
  await engine.rows(
    `COPY (SELECT proba, (proba >= 0.5)::INT AS pred${labelled ? ', (random() < 1 / (1 + exp(-x)))::INT AS label' : ''}
           FROM (SELECT x, round(1 / (1 + exp(-1.5 * x)), 6) AS proba FROM (SELECT ${x} AS x FROM range(${rows}))))
     TO '${tmp}' (FORMAT parquet)`,
  );
  renameSync(tmp, file);
}

const peakMiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

async function ours(ref: string, cur: string) {
  const engine = await DataEngine.open({ memoryLimit: '2GB' });
  try {
    const opts = { target: 'label', reference: { proba: 'proba', pred: 'pred' } };
    let t = performance.now();
    const whole = await estimateCbpe(engine, { location: ref }, { location: cur }, opts);
    const seconds = (performance.now() - t) / 1000;
    t = performance.now();
    await estimateCbpe(engine, { location: ref }, { location: cur }, { ...opts, chunks: 10 });
    const chunkedSeconds = (performance.now() - t) / 1000;
    return { seconds, chunkedSeconds, peakMiB: peakMiB(), rocAuc: whole.whole.metrics.roc_auc.value, accuracy: whole.whole.metrics.accuracy.value };
  } finally {
    engine.close();
  }
}

export async function benchEstimate(rows: number): Promise<EstimateBenchResult> {
  mkdirSync(DIR, { recursive: true });
  const ref = path.join(DIR, `estimate-ref-${REFERENCE_ROWS}.parquet`);
  const cur = path.join(DIR, `estimate-cur-${rows}.parquet`);
  const engine = await DataEngine.open();
  await generate(engine, ref, REFERENCE_ROWS, 0, true);
  await generate(engine, cur, rows, 0.5, false);
  engine.close();
  // Ours in a child process so its peak memory is its own.
  const child = await execa(process.execPath, ['--import', 'tsx', import.meta.filename, '--ours', ref, cur]);
  const o = JSON.parse(child.stdout) as EstimateBenchResult['ours'];
  const python = path.join(TOOLS_DIR, 'nannyml', 'bin', 'python');
  const base = existsSync(python)
    ? await execa(python, [path.join(import.meta.dirname, 'estimate_nannyml.py'), ref, cur], { reject: false, env: { NML_DISABLE_USAGE_LOGGING: '1' } })
    : undefined;
  if (!base) process.stderr.write(`[bench] estimate: no NannyML baseline (${python} missing: npm run setup -- --nannyml)\n`);
  const nannyml = base?.exitCode === 0 ? (JSON.parse(base.stdout) as EstimateBenchResult['nannyml']) : null;
  return { rows, referenceRows: REFERENCE_ROWS, ours: o, nannyml };
}

if (process.argv[1] === import.meta.filename) {
  if (process.argv[2] === '--ours') process.stdout.write(JSON.stringify(await ours(process.argv[3]!, process.argv[4]!)));
  else process.stdout.write(`${JSON.stringify(await benchEstimate(Number(process.argv[2] ?? 1_000_000)), null, 2)}\n`);
}
