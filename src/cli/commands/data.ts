import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, configPathFromEnv } from '../../config/load.js';
import { planModel } from '../../config/plan.js';
import { DataEngine, type DataFormat } from '../../data/engine.js';
import { rowIdentifierColumns } from '../../data/drift/id-columns.js';
import { detectDrift, sampledNote, type DriftOptions, type DriftReport, type DriftTest } from '../../data/drift/detect.js';
import { detectSegmentDrift, segmentEvidence, type SegmentDriftReport } from '../../data/drift/segments.js';
import type { Side } from '../../data/drift/numeric.js';
import { FailureType, RetrainError } from '../../errors.js';
import type { SegmentDriftEvidence } from '../../policy/trigger-policy.js';
import { estimateCbpe, type ChunkEstimate } from '../../data/estimate/cbpe.js';
import { METRICS } from '../../data/estimate/realized.js';
import { fingerprint } from '../../data/fingerprint.js';
import { profile } from '../../data/profile.js';
import { validateDataset } from '../../data/validate.js';
import { EXIT, ExitSignal } from '../exit-codes.js';
import { fmt, print, printJson, table } from '../output.js';

async function withEngine<T>(fn: (e: DataEngine) => Promise<T>): Promise<T> {
  const engine = await DataEngine.open();
  try {
    return await fn(engine);
  } finally {
    engine.close();
  }
}

const side = (p: string, format: DataFormat) => ({ location: path.resolve(p), format });

export function registerData(program: Command): void {
  const data = program.command('data').description('look at datasets before you automate: fingerprint, profile, validate, drift, estimate');
  data
    .command('fingerprint <path>')
    .description('sha256 over the files (sorted), row count and schema')
    .option('--json', 'machine-readable output')
    .action((p: string, o: { json?: boolean }) =>
      withEngine(async (e) => {
        const fp = await fingerprint(e, path.resolve(p));
        if (o.json) return printJson(fp);
        print(`sha256  ${fp.sha256}\nfiles   ${fp.files} (${fp.bytes} bytes)\nrows    ${fp.rows}`);
        print(table(['column', 'type'], fp.schema.map((c) => [c.name, c.type])));
      }),
    );
  data
    .command('profile <path>')
    .description('per column: type, count, nulls, distinct, min, max, mean, std, quartiles')
    .option('--json', 'machine-readable output')
    .action((p: string, o: { json?: boolean }) =>
      withEngine(async (e) => {
        const cols = await profile(e, path.resolve(p));
        if (o.json) return printJson(cols);
        print(table(['column', 'type', 'count', 'null %', '~distinct', 'min', 'max', 'mean', 'std', 'median'], cols.map((c) => [c.column, c.type, c.count, fmt(c.nullPercentage, 2), c.approxDistinct, c.min, c.max, fmt(c.mean), fmt(c.std), fmt(c.q50)])));
      }),
    );
  data
    .command('validate <path>')
    .description("check a dataset against a model's validation rules (exit 2 on errors)")
    .requiredOption('--model <name>', 'model whose rules to apply')
    .option('--json', 'machine-readable output')
    .action((p: string, o: { model: string; json?: boolean }) =>
      withEngine(async (e) => {
        const plan = planModel(loadConfig(configPathFromEnv()), o.model);
        const report = await validateDataset(e, path.resolve(p), plan);
        if (o.json) printJson(report);
        else {
          print(`${report.location}: ${report.rows} rows, ${report.violations.length} violation(s)`);
          if (report.violations.length) print(table(['severity', 'column', 'rule', 'expected', 'observed', 'samples'], report.violations.map((v) => [v.severity, v.column, v.rule, v.expected, v.observed, JSON.stringify(v.samples).slice(0, 60)])));
        }
        if (!report.passed) throw new ExitSignal(EXIT.invalidInput);
      }),
    );
  data
    .command('drift <reference> <current>')
    .description('per-column drift tests and the dataset verdict (exit 3 when the dataset drifted)')
    .option('--columns <list>', 'comma-separated columns to test')
    .option('--test <name>', 'ks | wasserstein | psi | jensenshannon | chisquare | ztest | linf (default: by reference size)')
    .option('--threshold <x>', 'threshold for --test', Number)
    .option('--share <x>', 'dataset drift when this share of columns drifted', Number, 0.5)
    .option('--test-ids', 'also test row identifiers (all-distinct integer or string columns), skipped by default')
    .option('--exact', 'never sample: sort every value of a side over the value budget too (slower on wide or long data)')
    .option('--html <file>', 'also write the drift section of the run report (histograms, frequency bars) to this file')
    .option('--segment <columns>', 'also test per value of these comma-separated columns (e.g. region); exit 3 also when a segment drifted')
    .option('--min-rows <n>', 'with --segment: a value is a segment with at least this many rows on both sides', Number, 500)
    .option('--top <n>', 'with --segment: at most this many segments per column, the largest', Number, 20)
    .option('--json', 'machine-readable output')
    .action((ref: string, cur: string, o: { columns?: string; test?: DriftTest; threshold?: number; share: number; testIds?: boolean; exact?: boolean; html?: string; segment?: string; minRows: number; top: number; json?: boolean }) =>
      withEngine(async (e) => {
        const columns = o.columns?.split(',').map((c) => c.trim());
        const override = { ...(o.test ? { test: o.test } : {}), ...(o.threshold !== undefined ? { threshold: o.threshold } : {}) };
        const skip = o.testIds ? {} : await rowIdentifierColumns(e, side(ref, 'auto'));
        const report = await detectDrift(e, side(ref, 'auto'), side(cur, 'auto'), { ...(columns ? { columns } : {}), allColumns: override, datasetShare: o.share, skip, exact: o.exact ?? false });
        const segments = o.segment ? await segmentDrift(e, side(ref, 'auto'), side(cur, 'auto'), o.segment, o, { ...(columns ? { columns } : {}), allColumns: override, datasetShare: o.share, skip }) : undefined;
        if (o.html) await writeDriftHtml(o.html, report, !o.json, segments && segmentEvidence(segments));
        if (o.json) printJson(segments ? { ...report, segments } : report);
        else {
          print(table(['column', 'test', 'statistic', 'p-value', 'threshold', 'drifted'], report.columns.map((c) => [c.column, c.skipped ? '–' : c.test, fmt(c.statistic), fmt(c.pValue), c.skipped ? '' : c.threshold, c.skipped ? 'skipped' : c.drifted ? 'DRIFT' : 'no'])));
          for (const c of report.columns.filter((x) => x.skipped)) print(`  ${c.column}: ${c.skipped}`);
          print(`dataset drift: ${report.datasetDrift ? 'YES' : 'no'} (${fmt(report.driftedShare * 100, 1)}% of columns drifted, threshold ${report.datasetShareThreshold * 100}%)`);
          if (report.sampled) print(sampledNote(report.sampled));
          if (segments) printSegments(segments);
        }
        if (report.datasetDrift || segments?.columns.some((c) => c.segments.some((s) => s.datasetDrift))) throw new ExitSignal(EXIT.drifted);
      }),
    );
  data
    .command('estimate <reference> <current>')
    .description('performance without labels (CBPE): calibrate on the labelled reference, estimate ROC AUC, accuracy, precision, recall, F1 on current')
    .requiredOption('--target <label>', "the reference's label column (0/1)")
    .requiredOption('--proba <col>', 'predicted probability of class 1 (both files)')
    .option('--pred <col>', 'predicted class 0/1 (both files; default: proba >= threshold)')
    .option('--threshold <x>', 'class 1 when proba >= this (without --pred)', Number, 0.5)
    .option('--chunks <n>', 'also estimate per chunk: n equal-size chunks of current, in file order', (v) => Number(v))
    .option('--by <column>', 'or estimate per period of this timestamp column (with --every)')
    .option('--every <period>', 'period length with --by: 1w (weeks start Monday), 1d, 6h', '1w')
    .option('--json', 'machine-readable output')
    .action((ref: string, cur: string, o: { target: string; proba: string; pred?: string; threshold: number; chunks?: number; by?: string; every: string; json?: boolean }) =>
      withEngine(async (e) => {
        const report = await estimateCbpe(e, side(ref, 'auto'), side(cur, 'auto'), {
          target: o.target,
          reference: { proba: o.proba, ...(o.pred ? { pred: o.pred } : {}) },
          threshold: o.threshold,
          ...(o.chunks !== undefined ? { chunks: o.chunks } : {}),
          ...(o.by ? { period: { by: o.by, every: o.every } } : {}),
        });
        if (o.json) return printJson(report);
        const r = report.reference;
        print(`reference ${r.location}: ${r.rows} rows, ${r.calibrated ? 'calibrated (isotonic)' : 'already calibrated'}`);
        print(`current   ${report.current.location}: ${report.current.rows} rows`);
        print(table(['metric', 'reference (realised)', 'estimated', 'band (±3 s.e.)'], METRICS.map((m) => {
          const x = report.whole.metrics[m];
          return [m, fmt(r.realized[m]), fmt(x.value), `${fmt(x.lower)} – ${fmt(x.upper)}`];
        })));
        if (report.chunks.length) {
          const cell = (c: ChunkEstimate, m: (typeof METRICS)[number]) => `${fmt(c.metrics[m].value)} ±${fmt(3 * c.metrics[m].samplingError, 3)}`;
          print(table([o.by ? 'period from' : 'rows', ...METRICS], report.chunks.map((c) => [c.period ? `${c.period.from.slice(0, 16)} (${c.end} rows)` : `${c.start}–${c.end}`, ...METRICS.map((m) => cell(c, m))])));
        }
      }),
    );
}

/** `--segment`: the same tests per value of each column; a bad option or column is invalid input (exit 2). */
async function segmentDrift(e: DataEngine, ref: Side, cur: Side, list: string, o: { minRows: number; top: number }, opts: DriftOptions): Promise<SegmentDriftReport> {
  for (const [flag, v] of [['--min-rows', o.minRows], ['--top', o.top]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RetrainError(FailureType.Config, `${flag}: expected a positive integer, got ${JSON.stringify(String(v))}`);
  }
  const specs = list.split(',').map((c) => c.trim()).filter(Boolean).map((column) => ({ column, minRows: o.minRows, top: o.top }));
  return detectSegmentDrift(e, ref, cur, specs, opts);
}

function printSegments(r: SegmentDriftReport): void {
  for (const c of r.columns) {
    print(`\nsegments of ${c.column} (at least ${c.minRows} rows on both sides, top ${c.top}), most drifted first:`);
    print(table(['value', 'ref rows', 'cur rows', 'drifted share', 'drifted', 'drifted columns'], c.segments.map((s) => [JSON.stringify(s.value), s.refRows, s.curRows, `${fmt(s.driftedShare * 100, 1)}%`, s.datasetDrift ? 'DRIFT' : 'no', s.driftedColumns.join(', ')])));
    for (const n of c.notTested.slice(0, 10)) print(`  not tested: ${JSON.stringify(n.value)} (${n.refRows} / ${n.curRows} rows): ${n.why}`);
    if (c.nullRows.reference || c.nullRows.current) print(`  ${c.nullRows.reference} reference and ${c.nullRows.current} current rows have no ${c.column} (NULL): not a segment`);
  }
}

/** `--html`: the drift section as its own page; loaded only when asked for. */
async function writeDriftHtml(file: string, report: DriftReport, say: boolean, segments?: SegmentDriftEvidence): Promise<void> {
  const { renderDriftPage } = await import('../../report/drift-section.js');
  const { renderDriftPageWithSegments } = await import('../../report/segment-section.js');
  const { writeHtmlAtomic } = await import('../../report/write-report.js');
  await writeHtmlAtomic(path.resolve(file), segments ? renderDriftPageWithSegments(report, segments) : renderDriftPage(report));
  if (say) process.stderr.write(`drift report: ${path.resolve(file)}\n`);
}
