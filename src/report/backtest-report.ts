import type { BacktestResult, BacktestRow } from '../workflows/backtest.js';
import { lineChart, timeBars, type TimeAxis, type TimeMarker } from './charts.js';
import { esc, num, page } from './html.js';

const RETRAIN = '#d9534f';
const QUIET = '#2d6cdf';

/**
 * `retrain backtest --html`: the policy's decisions over the partitions (each retrain marked with its reason), the
 * drifted share each partition showed, and with --train the metric of the model each strategy had in production.
 * From the backtest's result only; self-contained like every report.
 */
export function renderBacktest(result: BacktestResult): string {
  const rows = result.rows;
  const times = rows.map((r) => Date.parse(r.at));
  const axis: TimeAxis = { from: Math.min(...times), to: Math.max(...times, Math.min(...times) + 1) };
  const title = (r: BacktestRow) => `partition ${r.partition} (${r.file}) at ${r.at}: ${r.retrain ? 'retrain' : 'skip'} — ${r.reason}`;
  const markers: TimeMarker[] = rows.filter((r) => r.retrain).map((r) => ({ at: Date.parse(r.at), value: r.metric?.policy ?? null, kind: 'retrain', color: RETRAIN, title: title(r) }));
  const sections: string[] = [];
  sections.push(`<h1>Backtest of ${esc(result.model)}'s trigger policy</h1>
<p>${rows.length} partitions replayed; the policy retrained <b>${result.retrains}</b> time${result.retrains === 1 ? '' : 's'}.</p>`);
  const m = result.metric;
  if (m) {
    const line = (pick: (r: BacktestRow) => number | undefined) => rows.flatMap((r) => (pick(r) === undefined ? [] : [{ at: Date.parse(r.at), value: pick(r)! }]));
    sections.push(`<h2>${esc(m.name)} of the model in production (${esc(m.direction)})</h2>
<table><tr><th>strategy</th><th>retrains</th><th>mean ${esc(m.name)}</th><th>training time</th></tr>
${(['policy', 'never', 'every'] as const).map((k) => `<tr><td>${k === 'policy' ? 'this policy' : k === 'never' ? 'never retrain' : 'retrain every partition'}</td><td>${m[k].retrains}</td><td>${esc(num(m[k].meanMetric))}</td><td>${esc((m[k].trainingMs / 1000).toFixed(1))} s</td></tr>`).join('\n')}
</table>
${lineChart(line((r) => r.metric?.policy), markers, axis, `this policy (${m.name})`)}
${lineChart(line((r) => r.metric?.never), [], axis, `never retrain (${m.name})`)}
${lineChart(line((r) => r.metric?.every), [], axis, `retrain every partition (${m.name})`)}`);
  }
  const share = rows.map((r) => ({ at: Date.parse(r.at), value: r.evidence.drift?.driftedShare ?? 0, title: title(r), color: r.retrain ? RETRAIN : QUIET }));
  sections.push(`<h2>Drifted share of columns per partition (red: the policy retrained)</h2>
${timeBars(share, axis, 'drifted share', (v) => `${(v * 100).toFixed(1)}%`)}`);
  sections.push(`<h2>Decisions</h2>
<table><tr><th>#</th><th>partition</th><th>time</th><th>decision</th><th>rules fired</th><th>breaches</th><th>reason</th></tr>
${rows
  .map(
    (r) =>
      `<tr><td>${r.partition}</td><td>${esc(r.file)}</td><td>${esc(r.at)}</td><td>${r.retrain ? '<b>retrain</b>' : 'skip'}</td><td>${esc(
        r.rules.filter((x) => x.fired).map((x) => x.rule).join(', ') || '–',
      )}</td><td>${r.breaches}</td><td>${esc(r.reason)}</td></tr>`,
  )
  .join('\n')}
</table>`);
  return page(`backtest ${result.model}`, sections.join('\n'));
}
