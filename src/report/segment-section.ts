import type { SegmentDriftEvidence } from '../policy/trigger-policy.js';
import { driftSection } from './drift-section.js';
import { esc, num, page } from './html.js';
import type { DriftReport } from '../data/drift/detect.js';

/** Segments listed in the page; the check's evidence and the report file hold the rest. */
const SHOWN = 100;

/**
 * Drift per segment: every tested segment, most drifted share first, with its drifted columns. Segment values
 * and column names are the data's own text, so every one goes through esc().
 */
export function segmentSection(e: SegmentDriftEvidence): string {
  const ordered = [...e.segments].sort((a, b) => b.driftedShare - a.driftedShare || b.refRows + b.curRows - (a.refRows + a.curRows));
  const drifted = ordered.filter((s) => s.datasetDrift).length;
  const rows = ordered.slice(0, SHOWN).map(
    (s) =>
      `<tr><td>${esc(s.column)}</td><td><code>${esc(s.value)}</code></td><td>${s.refRows}</td><td>${s.curRows}</td><td>${esc(num(s.driftedShare * 100, 3))}%</td><td>${s.datasetDrift ? '<span class="drifted">drifted</span>' : '<span class="quiet">no drift</span>'}</td><td>${esc(s.driftedColumns.join(', ')) || '<span class="muted">none</span>'}</td></tr>`,
  );
  const hidden = ordered.length - Math.min(ordered.length, SHOWN) + (e.omitted ?? 0);
  const more = hidden > 0 ? `<p class="muted">… ${hidden} more segments in the check's report (segments.json)</p>` : '';
  const notTested = e.notTested.length
    ? `<p class="muted">not tested: ${e.notTested.map((n) => `${esc(n.column)}=<code>${esc(n.value)}</code> (${esc(n.why)})`).join('; ')}</p>`
    : '';
  return `<section id="segments"><h2>Drift per segment</h2>
<p>${drifted} of ${ordered.length} tested segments drifted (a segment drifted when ${esc(num(e.datasetShareThreshold * 100, 3))}% of its columns did).</p>
<table><tr><th>segment column</th><th>value</th><th>reference rows</th><th>current rows</th><th>drifted share</th><th>result</th><th>drifted columns</th></tr>${rows.join('') || '<tr><td colspan="7" class="muted">no segment had enough rows on both sides</td></tr>'}</table>${more}${notTested}</section>`;
}

/** `retrain data drift --segment … --html`: the drift section and the segments, as one page. */
export function renderDriftPageWithSegments(report: DriftReport, segments: SegmentDriftEvidence): string {
  return page(`drift: ${report.current}`, `<h1>Data drift</h1>${driftSection(report, 'Columns')}${segmentSection(segments)}`);
}
