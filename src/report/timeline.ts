import type { RunRecord } from '../audit/audit-log.js';
import { lineChart, timeBars, type TimeMarker, type TimePoint } from './charts.js';
import { esc, num, page } from './html.js';

export interface TimelineInput {
  model: string;
  /** The model's audit records, any order. */
  records: RunRecord[];
  /** The promotion metric (models.<m>.promotion.metric) whose production value the chart follows. */
  metric: string;
}

const COLORS: Record<string, string> = { promoted: '#2d8a4e', rejected: '#b9770e', skipped: '#7f8c8d', failed: '#c0392b', rolled_back: '#8e44ad' };
const at = (s: string) => Date.parse(s);
const secs = (ms: number) => (ms < 120_000 ? `${num(ms / 1000, 3)} s` : `${num(ms / 60_000, 3)} min`);

function title(r: RunRecord): string {
  const res = r.result;
  const version = 'version' in res ? ` v${res.version}` : '';
  const reasons = Object.entries(r.coalesced.byReason).map(([k, n]) => (n === 1 ? k : `${k}×${n}`)).join(', ');
  const sources = [...new Set(r.triggers.map((t) => t.source))].slice(0, 5).join(', ');
  return `${r.startedAt} ${res.outcome}${version}\ntriggers: ${reasons || 'none'}${sources ? ` from ${sources}` : ''}${r.force ? ' (forced)' : ''}\n${res.reason}`;
}

/**
 * Production's metric over time: the value each promoted version was promoted with, and the value
 * the check measured on production when a performance rule is configured; rollbacks return to the
 * champion's own score. A step line, since production keeps its value until something changes it.
 */
export function productionLine(records: RunRecord[], metric: string): TimePoint[] {
  const points: TimePoint[] = [];
  for (const r of records) {
    const res = r.result;
    const p = r.check?.performance;
    if (p && p.metric === metric && Number.isFinite(p.current)) points.push({ at: at(r.startedAt), value: p.current });
    else if ('metrics' in res && res.metrics.production?.[metric] !== undefined && res.outcome !== 'rolled_back') points.push({ at: at(r.startedAt), value: res.metrics.production[metric] });
    if (res.outcome === 'promoted' && res.metrics.candidate[metric] !== undefined) points.push({ at: at(r.finishedAt), value: res.metrics.candidate[metric] });
    if (res.outcome === 'rolled_back' && res.metrics.production?.[metric] !== undefined) points.push({ at: at(r.finishedAt), value: res.metrics.production[metric] });
  }
  return points.sort((a, b) => a.at - b.at);
}

/** The champion the audit trail last names: promoted by a run, or production as a run's check found it. */
export function currentChampion(records: RunRecord[]): { version: number | null; since: string | null; note: string } {
  let champion: { version: number | null; since: string | null; note: string } = { version: null, since: null, note: 'no production model in the audit trail' };
  for (const r of records) {
    const res = r.result;
    const seen = r.check?.production;
    if (seen && seen.version !== champion.version) champion = { version: seen.version, since: seen.createdAt, note: `seen as production by ${r.workflowId}` };
    if (res.outcome === 'promoted') champion = { version: res.version, since: r.finishedAt, note: `promoted by ${r.workflowId}: ${res.reason}` };
    if (res.outcome === 'rolled_back') champion = { version: null, since: r.finishedAt, note: res.reason };
  }
  return champion;
}

/** One model's history as a page: metric line with every run marked, drift share per check, training time. */
export function renderTimeline(input: TimelineInput): string {
  const records = [...input.records].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const { model, metric } = input;
  if (!records.length) return page(`${model} timeline`, `<h1>${esc(model)}: timeline</h1><p>No runs recorded yet.</p>`);
  const from = at(records[0]!.startedAt);
  const to = Math.max(at(records[records.length - 1]!.finishedAt), from + 1000);
  const pad = (to - from) * 0.02;
  const axis = { from: from - pad, to: to + pad };
  const line = productionLine(records, metric);
  const markers: TimeMarker[] = records.map((r) => {
    const res = r.result;
    const value = 'metrics' in res ? (res.metrics.candidate[metric] ?? null) : null;
    return { at: at(r.startedAt), value, kind: res.outcome, color: COLORS[res.outcome] ?? '#333', title: title(r) };
  });
  const drift = records.filter((r) => r.check?.drift).map((r) => ({ at: at(r.startedAt), value: r.check!.drift!.driftedShare, title: `${r.startedAt} drift ${r.check!.drift!.datasetDrift ? 'YES' : 'no'} (${r.check!.drift!.driftedColumns.join(', ') || 'no column'})`, color: r.check!.drift!.datasetDrift ? '#c0392b' : '#7f8fa6' }));
  const training = records.filter((r) => r.evidence?.trainDurationMs !== undefined).map((r) => ({ at: at(r.startedAt), value: r.evidence!.trainDurationMs!, title: `${r.startedAt} ${r.result.outcome}` }));
  const champion = currentChampion(records);
  const counts = Object.entries(records.reduce<Record<string, number>>((m, r) => ({ ...m, [r.result.outcome]: (m[r.result.outcome] ?? 0) + 1 }), {}));
  const legend = Object.entries(COLORS).map(([k, c]) => `<span style="background:${c};border-radius:5px"></span>${esc(k)}`).join('');
  const totalTrain = training.reduce((s, t) => s + t.value, 0);
  const rows = [...records].reverse().map((r) => {
    const res = r.result;
    return `<tr><td>${esc(r.startedAt)}</td><td><span class="badge ${esc(res.outcome)}">${esc(res.outcome)}</span></td><td>${'version' in res ? `v${res.version}` : ''}</td><td>${esc(Object.keys(r.coalesced.byReason).join(', '))}</td><td>${esc(r.check?.drift ? `${num(r.check.drift.driftedShare * 100, 3)}%` : '')}</td><td>${esc('metrics' in res ? num(res.metrics.candidate[metric]) : '')}</td><td>${esc(r.evidence?.trainDurationMs !== undefined ? secs(r.evidence.trainDurationMs) : '')}</td><td>${esc(res.reason)}</td></tr>`;
  });
  const body = `<h1>${esc(model)}: timeline</h1>
<p>Current champion: <b>${champion.version === null ? 'unknown' : `v${champion.version}`}</b>${champion.since ? ` since ${esc(champion.since)}` : ''} <span class="muted">— ${esc(champion.note)}</span></p>
<p>${records.length} run(s): ${counts.map(([k, n]) => `${n} ${esc(k)}`).join(', ')}; training time ${esc(secs(totalTrain))} over ${training.length} retrain(s).</p>
<section id="metric"><h2>Production ${esc(metric)}</h2><div class="legend muted">${legend}</div>${lineChart(line, markers, axis, `production ${metric}`)}
<p class="muted">Blue: production's ${esc(metric)} (at promotion, and as each check measured it when a performance rule is on). Dots: every run at its challenger's score (on the axis when none was trained); hover for trigger and reason.</p></section>
<section id="drift-share"><h2>Drift share per check</h2>${drift.length ? timeBars(drift, axis, 'share of columns drifted', (v) => `${num(v * 100, 3)}%`) : '<p class="muted">no check compared against a reference</p>'}</section>
<section id="training"><h2>Training time per retrain</h2>${training.length ? timeBars(training, axis, 'training time', secs) : '<p class="muted">no training time recorded</p>'}</section>
<section id="runs"><h2>Runs</h2><table><tr><th>started</th><th>outcome</th><th>version</th><th>triggers</th><th>drift</th><th>challenger ${esc(metric)}</th><th>training</th><th>reason</th></tr>${rows.join('')}</table></section>`;
  return page(`${model} timeline`, body);
}
