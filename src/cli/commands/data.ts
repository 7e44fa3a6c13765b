import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, configPathFromEnv } from '../../config/load.js';
import { planModel } from '../../config/plan.js';
import { DataEngine, type DataFormat } from '../../data/engine.js';
import { detectDrift, sampledNote, type DriftTest } from '../../data/drift/detect.js';
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
  const data = program.command('data').description('look at datasets before you automate: fingerprint, profile, validate, drift');
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
    .option('--exact', 'never sample: sort every value of a side over the value budget too (slower on wide or long data)')
    .option('--json', 'machine-readable output')
    .action((ref: string, cur: string, o: { columns?: string; test?: DriftTest; threshold?: number; share: number; exact?: boolean; json?: boolean }) =>
      withEngine(async (e) => {
        const columns = o.columns?.split(',').map((c) => c.trim());
        const override = { ...(o.test ? { test: o.test } : {}), ...(o.threshold !== undefined ? { threshold: o.threshold } : {}) };
        const report = await detectDrift(e, side(ref, 'auto'), side(cur, 'auto'), { ...(columns ? { columns } : {}), allColumns: override, datasetShare: o.share, exact: o.exact ?? false });
        if (o.json) printJson(report);
        else {
          print(table(['column', 'test', 'statistic', 'p-value', 'threshold', 'drifted'], report.columns.map((c) => [c.column, c.test, fmt(c.statistic), fmt(c.pValue), c.threshold, c.drifted ? 'DRIFT' : 'no'])));
          print(`dataset drift: ${report.datasetDrift ? 'YES' : 'no'} (${fmt(report.driftedShare * 100, 1)}% of columns drifted, threshold ${report.datasetShareThreshold * 100}%)`);
          if (report.sampled) print(sampledNote(report.sampled));
        }
        if (report.datasetDrift) throw new ExitSignal(EXIT.drifted);
      }),
    );
}
