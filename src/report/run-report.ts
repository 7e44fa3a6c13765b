import type { RunRecord } from '../audit/audit-log.js';
import type { DriftReport } from '../data/drift/detect.js';
import type { Violation } from '../data/validate.js';
import type { Metrics } from '../workflows/types.js';
import { driftSection } from './drift-section.js';
import { esc, link, num, page } from './html.js';
import { segmentSection } from './segment-section.js';

export interface RunReportInput {
  record: RunRecord;
  /** The check's drift report (`<run dir>/check/drift.json`), when the check compared against a reference. */
  drift: DriftReport | null;
  /** The run in the Temporal Web UI, when its address is known. */
  temporalUrl?: string;
  /** The decision's MLflow run, when tracked. */
  mlflowUrl?: string;
}

const json = (x: unknown) => esc(JSON.stringify(x));
const dur = (ms: number) => (ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${num(ms / 1000, 3)} s` : `${num(ms / 60_000, 3)} min`);

function header(r: RunRecord, input: RunReportInput): string {
  const res = r.result;
  const version = 'version' in res ? ` v${res.version}` : '';
  const links = [link(input.temporalUrl, 'Temporal Web UI'), input.mlflowUrl ? link(input.mlflowUrl, 'MLflow run') : ''].filter(Boolean);
  return `<h1>${esc(r.model)}: <span class="badge ${esc(res.outcome)}">${esc(res.outcome)}${esc(version)}</span></h1>
<p>${esc(res.reason)}</p>
<table><tr><th>run</th><td><code>${esc(r.workflowId)}</code> ${r.decidedIn ? `(decided by <code>${esc(r.parentWorkflowId ?? '')}</code> itself, Temporal run <code>${esc(r.temporalRunId)}</code>: no pipeline ran)` : `(Temporal run <code>${esc(r.temporalRunId)}</code>)${r.parentWorkflowId ? `, started by <code>${esc(r.parentWorkflowId)}</code>` : ''}`}</td></tr>
<tr><th>time</th><td>${esc(r.startedAt)} → ${esc(r.finishedAt)}</td></tr>
<tr><th>links</th><td>${links.join(' · ')}${input.temporalUrl ? '' : ' <span class="muted">(address not known when written)</span>'}</td></tr></table>`;
}

function decision(r: RunRecord): string {
  const d = r.decision;
  if (!d) return `<section id="decision"><h2>Decision</h2><p class="muted">no decision: the run ended before the trigger policy ran</p></section>`;
  const rows = d.rules.map((x) => `<tr><td>${esc(x.rule)}</td><td class="${x.fired ? 'fired' : 'quiet'}">${x.fired ? 'fired' : 'quiet'}</td><td>${esc(typeof x.measured === 'number' ? num(x.measured) : x.measured)}</td><td>${esc(typeof x.threshold === 'number' ? num(x.threshold) : x.threshold)}</td><td>${esc(x.detail)}</td></tr>`);
  return `<section id="decision"><h2>Decision: ${d.retrain ? 'retrain' : 'skip'}</h2><p>${esc(d.reason)}${r.force ? ' <b>(forced)</b>' : ''}</p>
<table><tr><th>rule</th><th>state</th><th>measured</th><th>threshold</th><th>detail</th></tr>${rows.join('') || '<tr><td colspan="5" class="muted">no evidence rule configured</td></tr>'}</table>
<p class="muted">${r.decidedIn === 'schedule' ? "breaches: not read (a schedule's tick decided this skip on unchanged data, which no remembered breach changes; the controller's count stays as it was)" : `breaches remembered after this decision: ${d.breaches}`}</p></section>`;
}

function triggers(r: RunRecord): string {
  const counts = Object.entries(r.coalesced.byReason).map(([k, n]) => `${esc(k)} × ${n}`).join(', ');
  const rows = r.triggers.slice(0, 50).map((t) => `<tr><td>${esc(t.reason)}</td><td>${esc(t.source)}</td><td>${esc(t.receivedAt ?? '')}</td><td>${t.force ? 'force' : t.now ? 'now' : ''}</td><td>${t.details ? `<code>${json(t.details)}</code>` : ''}</td></tr>`);
  const more = r.triggers.length > 50 ? `<p class="muted">… ${r.triggers.length - 50} more kept in the record</p>` : '';
  return `<section id="triggers"><h2>Triggers</h2><p>${r.coalesced.total} trigger(s): ${counts || 'none'}</p>
<table><tr><th>reason</th><th>source</th><th>received</th><th>flags</th><th>details</th></tr>${rows.join('')}</table>${more}</section>`;
}

function evidence(r: RunRecord): string {
  const c = r.check;
  if (!c) return '';
  const out: string[] = [];
  if (c.production) out.push(`<tr><th>champion at decision</th><td>v${c.production.version}, trained ${esc(c.production.createdAt)} on ${c.production.trainDataRows} rows</td></tr>`);
  else out.push(`<tr><th>champion at decision</th><td>none</td></tr>`);
  out.push(`<tr><th>data</th><td>${c.dataUnchanged ? 'unchanged' : 'changed'} since production was trained; ${c.newRows} new rows; params ${c.paramsUnchanged ? 'unchanged' : 'changed'}${c.inputsChanged?.length ? `; inputs changed: ${esc(c.inputsChanged.join(', '))}` : ''}</td></tr>`);
  if (c.predictionDrift) {
    const p = c.predictionDrift;
    out.push(`<tr><th>prediction drift</th><td>${esc(p.column)}: ${esc(p.test)} ${esc(num(p.statistic))} (threshold ${esc(num(p.threshold))}) — <span class="${p.drifted ? 'drifted' : 'quiet'}">${p.drifted ? 'drifted' : 'no drift'}</span></td></tr>`);
  }
  if (c.performance) {
    const p = c.performance;
    out.push(`<tr><th>performance estimate</th><td>production ${esc(p.metric)} today ${esc(num(p.current))}, at promotion ${esc(num(p.baseline))} (${esc(p.direction)})</td></tr>`);
  }
  return `<section id="evidence"><h2>Evidence</h2><table>${out.join('')}</table></section>`;
}

function violationsTable(vs: Violation[]): string {
  const rows = vs.map((v) => `<tr><td class="${v.severity === 'error' ? 'bad' : 'muted'}">${esc(v.severity)}</td><td>${esc(v.column ?? '(dataset)')}</td><td>${esc(v.rule)}</td><td>${esc(v.expected)}</td><td>${esc(v.observed)}</td><td>${v.samples.length ? `<code>${json(v.samples)}</code>` : ''}</td></tr>`);
  return `<table><tr><th>severity</th><th>column</th><th>rule</th><th>expected</th><th>observed</th><th>samples</th></tr>${rows.join('')}</table>`;
}

function validation(r: RunRecord): string {
  const v = r.evidence?.validation;
  const failedHere = r.result.outcome === 'failed' && r.result.step === 'validate';
  if (!v && !failedHere) return '';
  let body: string;
  if (v) body = `<p>${esc(v.location)}: ${v.rows} rows, ${v.passed ? '<span class="ok">passed</span>' : '<span class="bad">failed</span>'}, ${v.violations.length} violation(s)</p>${v.violations.length ? violationsTable(v.violations) : ''}`;
  else body = `<pre>${esc(r.result.outcome === 'failed' ? r.result.error.message : '')}</pre>`;
  return `<section id="validation"><h2>Validation</h2>${body}</section>`;
}

function metricsTable(candidate: Metrics, production: Metrics | null, metric: string | undefined): string {
  const names = [...new Set([...Object.keys(candidate), ...Object.keys(production ?? {})])];
  const rows = names.map((n) => {
    const a = candidate[n];
    const b = production?.[n];
    const diff = a !== undefined && b !== undefined ? a - b : undefined;
    return `<tr${n === metric ? ' style="font-weight:600"' : ''}><td>${esc(n)}</td><td>${esc(num(a))}</td><td>${esc(num(b))}</td><td>${esc(diff === undefined ? '—' : `${diff >= 0 ? '+' : ''}${num(diff)}`)}</td></tr>`;
  });
  return `<table><tr><th>metric</th><th>challenger</th><th>champion</th><th>difference</th></tr>${rows.join('')}</table>`;
}

function metrics(r: RunRecord): string {
  const res = r.result;
  if (!('metrics' in res)) return '';
  const cmp = r.evidence?.comparison;
  const ci = cmp
    ? `<p>Paired ${esc(cmp.test)} on ${cmp.rows} rows: ${esc(cmp.metric)} gain ${esc(num(cmp.gain))}${cmp.ci ? `, ${esc(num(cmp.level * 100, 3))}% CI [${esc(num(cmp.ci[0]))}, ${esc(num(cmp.ci[1]))}]` : ''}${cmp.pValue !== null ? `, p = ${esc(num(cmp.pValue))}` : ''}${cmp.discordant ? ` (discordant: challenger only ${cmp.discordant.candidateOnly}, champion only ${cmp.discordant.productionOnly})` : ''}</p>`
    : '';
  const watched = res.outcome === 'rolled_back' ? `<p>Watch window scored: <code>${json(res.watched)}</code></p>` : '';
  const approval = 'approval' in res && res.approval ? `<p>${esc(res.approval.decision)} by ${esc(res.approval.approver)} at ${esc(res.approval.at)}${res.approval.comment ? `: ${esc(res.approval.comment)}` : ''}</p>` : '';
  const primary = r.check?.performance?.metric;
  const train = r.evidence?.trainDurationMs !== undefined ? `<p class="muted">training took ${esc(dur(r.evidence.trainDurationMs))}</p>` : '';
  return `<section id="metrics"><h2>Champion vs challenger</h2>${metricsTable(res.metrics.candidate, res.metrics.production, primary)}${ci}${watched}${approval}${train}</section>`;
}

function lineage(r: RunRecord): string {
  const rows: string[] = [];
  const fp = r.result.dataFingerprint ?? r.check?.fingerprint;
  rows.push(`<tr><th>data</th><td><code>${esc(r.dataLocation ?? 'unknown')}</code></td></tr>`);
  if (fp) rows.push(`<tr><th>sha256</th><td><code>${esc(fp.sha256)}</code><br>${fp.rows} rows, ${fp.schema.length} columns, ${fp.files} file(s), ${fp.bytes} bytes</td></tr>`);
  rows.push(`<tr><th>code</th><td>${esc(r.codeVersion ?? 'unknown')}${(r.code ?? []).map((g) => `<br><code>${esc(g.commit)}</code>${g.dirty ? ' (dirty)' : ''} in <code>${esc(g.repo)}</code>`).join('')}</td></tr>`);
  if (r.dvc) {
    const d = r.dvc;
    rows.push(`<tr><th>DVC</th><td><code>${esc(d.path)}</code> md5 <code>${esc(d.md5)}</code> in ${esc(d.file)}${d.stage ? ` stage ${esc(d.stage)}` : ''} at commit <code>${esc(d.commit ?? 'none')}</code>${d.matches === false ? ' — <span class="bad">data differs from its DVC md5</span>' : ''}${d.entryCommitted === false ? ' — entry not committed' : ''}</td></tr>`);
  }
  if (r.evidence?.evaluationSha256) rows.push(`<tr><th>evaluation data</th><td><code>${esc(r.evidence.evaluationSha256)}</code></td></tr>`);
  rows.push(`<tr><th>config</th><td><code>${esc(r.configFile ?? 'unknown')}</code></td></tr>`);
  if (r.tracking && 'error' in r.tracking) rows.push(`<tr><th>MLflow</th><td class="bad">not tracked: ${esc(r.tracking.error)}</td></tr>`);
  return `<section id="lineage"><h2>Lineage</h2><table>${rows.join('')}</table></section>`;
}

function failure(r: RunRecord): string {
  const res = r.result;
  if (res.outcome !== 'failed') return '';
  return `<section id="failure"><h2>Failure at ${esc(res.step)}</h2><p><b>${esc(res.error.type)}</b></p><pre style="white-space:pre-wrap">${esc(res.error.message)}</pre></section>`;
}

/** One run as a self-contained page: inline CSS and SVG, no script, nothing fetched at view time. */
export function renderRunReport(input: RunReportInput): string {
  const r = input.record;
  const drift = input.drift
    ? driftSection(input.drift)
    : `<section id="drift"><h2>Data drift</h2><p class="muted">${r.check?.drift ? 'the drift report file is gone' : 'not checked: no reference data yet (no production model or data.reference)'}</p></section>`;
  const segments = r.check?.segmentDrift ? segmentSection(r.check.segmentDrift) : '';
  const body = [header(r, input), decision(r), triggers(r), evidence(r), drift, segments, validation(r), metrics(r), failure(r), lineage(r)].join('\n');
  return page(`${r.model} ${r.result.outcome}: ${r.workflowId}`, body);
}
