import path from 'node:path';
import { fmt, table } from '../cli/output.js';
import type { BacktestResult } from '../workflows/backtest.js';

const value = (x: number | string) => (typeof x === 'number' ? fmt(x, 3) : x);

/** The terminal view of a backtest: one row per partition with every rule, then the strategies compared. */
export function formatBacktest(r: BacktestResult): string {
  const train = r.metric !== undefined;
  const head = ['#', 'time', 'partition', 'prod', 'decision', 'rules (value / threshold)', 'breaches', ...(train ? [`${r.metric!.name}: policy`, 'never', 'every'] : []), 'reason'];
  const rows = r.rows.map((row) => [
    row.partition,
    row.at.slice(0, 10),
    path.basename(row.file),
    `v${row.productionVersion}`,
    row.retrain ? 'RETRAIN' : 'skip',
    row.rules.map((x) => `${x.fired ? '●' : '○'} ${x.rule} ${value(x.measured)} / ${value(x.threshold)}`).join('\n') || '(no evidence rule)',
    row.breaches,
    ...(train ? [fmt(row.metric!.policy), fmt(row.metric!.never), fmt(row.metric!.every)] : []),
    row.reason.length > 90 ? `${row.reason.slice(0, 87)}...` : row.reason,
  ]);
  const lines = [
    `backtest of ${r.model}: ${r.partitions.length} partitions (${path.basename(r.partitions[0]!.file)} is the initial training data), ${r.retrains} retrain(s)`,
    table(head, rows),
  ];
  if (r.metric) {
    const m = r.metric;
    const s = (name: string, x: typeof m.policy) => [name, x.retrains, fmt(x.meanMetric), `${(x.trainingMs / 1000).toFixed(1)}s`];
    lines.push(`\n${m.name} (${m.direction}) on each partition of the model in production when it arrived:`);
    lines.push(table(['strategy', 'retrains', `mean ${m.name}`, 'training time'], [s('trigger policy', m.policy), s('never retrain', m.never), s('retrain every partition', m.every)]));
    lines.push(`initial training: ${(m.initialTrainingMs / 1000).toFixed(1)}s (not counted above)`);
  }
  return lines.join('\n');
}
