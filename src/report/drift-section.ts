import type { ColumnDrift, DriftReport } from '../data/drift/detect.js';
import { P_VALUE_TESTS } from '../data/drift/detect.js';
import { frequencyChart, histogramChart, LEGEND } from './charts.js';
import { esc, num, page } from './html.js';

function verdict(c: ColumnDrift): string {
  if (c.skipped) return `<span class="muted">skipped</span>`;
  return c.drifted ? `<span class="drifted">drifted</span>` : `<span class="quiet">no drift</span>`;
}

function chart(c: ColumnDrift): string {
  const h = c.histogram;
  if (!h || !h.labels.length) return `<p class="muted">${esc(c.skipped ?? c.note ?? 'no binned counts in this report (written before reports had histograms)')}</p>`;
  return c.kind === 'numeric' ? histogramChart(h) : frequencyChart(h);
}

/** Per-column drift: the summary, the table of every test, and reference vs current for each column. */
export function driftSection(report: DriftReport, title = 'Data drift'): string {
  const counted = report.columns.filter((c) => !c.skipped);
  const drifted = counted.filter((c) => c.drifted).length;
  const rows = report.columns.map((c) => {
    const isP = P_VALUE_TESTS.has(c.test);
    return `<tr><td>${esc(c.column)}</td><td>${esc(c.kind)}</td><td>${esc(c.test)}</td><td>${esc(num(c.statistic))}</td><td>${esc(isP ? num(c.pValue) : '—')}</td><td>${isP ? 'p &lt; ' : '≥ '}${esc(num(c.threshold))}</td><td>${verdict(c)}</td><td>${esc(c.skipped ?? c.note ?? '')}</td></tr>`;
  });
  const cards = report.columns.map((c) => `<div class="card"><h3>${esc(c.column)} ${verdict(c)}</h3><div class="muted">${esc(c.kind)}, ${esc(c.test)} ${esc(num(c.pValue ?? c.statistic))}</div>${chart(c)}</div>`);
  return `<section id="drift"><h2>${esc(title)}</h2>
<p>Dataset drift: <b class="${report.datasetDrift ? 'drifted' : 'quiet'}">${report.datasetDrift ? 'yes' : 'no'}</b> — ${drifted} of ${counted.length} tested columns drifted (${esc(num(report.driftedShare * 100, 3))}%; dataset drift at ${esc(num(report.datasetShareThreshold * 100, 3))}%).</p>
<p class="muted">reference <code>${esc(report.reference)}</code><br>current <code>${esc(report.current)}</code></p>
<table><tr><th>column</th><th>kind</th><th>test</th><th>statistic</th><th>p-value</th><th>drift when</th><th>result</th><th>note</th></tr>${rows.join('')}</table>
${LEGEND}<div class="cols">${cards.join('')}</div></section>`;
}

/** `retrain data drift --html`: the drift section alone, as one page. */
export function renderDriftPage(report: DriftReport): string {
  return page(`drift: ${report.current}`, `<h1>Data drift</h1>${driftSection(report, 'Columns')}`);
}
