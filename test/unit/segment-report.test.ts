import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunRecord } from '../../src/audit/audit-log.js';
import type { SegmentDriftEvidence } from '../../src/policy/trigger-policy.js';
import { renderRunReport } from '../../src/report/run-report.js';

const SCRIPT = '<script>alert(1)</script>';
const SQL = "'); DROP TABLE x; --";

const segments: SegmentDriftEvidence = {
  datasetShareThreshold: 0.5,
  segments: [
    { column: 'region', value: 'north', refRows: 1500, curRows: 1300, driftedShare: 0, datasetDrift: false, driftedColumns: [] },
    { column: 'region', value: SCRIPT, refRows: 600, curRows: 500, driftedShare: 0.6, datasetDrift: true, driftedColumns: ['x', `${SCRIPT}col`] },
    { column: 'region', value: SQL, refRows: 400, curRows: 450, driftedShare: 0.2, datasetDrift: false, driftedColumns: ['k'] },
  ],
  notTested: [{ column: 'region', value: `</td>${SCRIPT}`, why: 'fewer than 500 rows on one side' }],
};

const record = (): RunRecord => ({
  model: 'churn', workflowId: 'retrain/churn/1', temporalRunId: 'run-1', parentWorkflowId: null, startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z',
  triggers: [{ reason: 'schedule', source: 'test' }], coalesced: { total: 1, byReason: { schedule: 1 } }, force: false,
  decision: { retrain: true, reason: `segments drifted: region=${SCRIPT}`, breaches: 0, rules: [{ rule: 'segment_drift', fired: true, measured: 0.6, threshold: 0.5, detail: `region=${SCRIPT} 60%` }] },
  dataLocation: 'data/current.csv',
  check: {
    fingerprint: { sha256: 'ab'.repeat(32), files: 1, bytes: 1000, rows: 100, schema: [] },
    production: null, dataUnchanged: false, paramsUnchanged: true, drift: null, predictionDrift: null, performance: null, newRows: 10,
    segmentDrift: { ...segments, reportFile: '/nonexistent/segments.json' },
  },
  result: { model: 'churn', reason: 'x', triggers: ['schedule'], dataFingerprint: null, decision: null, outcome: 'skipped' },
} as unknown as RunRecord);

describe('run report: drift per segment (issue 17 §1)', () => {
  it('lists segments by drifted share with their drifted columns; segment values stay text', () => {
    const html = renderRunReport({ record: record(), drift: null });
    const section = html.slice(html.indexOf('<section id="segments">'));
    assert.match(section, /1 of 3 tested segments drifted/);
    const order = [SCRIPT, SQL, 'north'].map((v) => section.indexOf(v.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll("'", '&#39;')));
    assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, `most drifted first: ${order.join(', ')}`);
    assert.match(section, /x, &lt;script&gt;alert\(1\)&lt;\/script&gt;col/);
    assert.match(section, /not tested: region=<code>&lt;\/td&gt;&lt;script&gt;/);
    assert.doesNotMatch(html, /<script/i);
  });

  it('a run without segment evidence has no segment section', () => {
    const r = record();
    delete (r.check as { segmentDrift?: unknown }).segmentDrift;
    assert.doesNotMatch(renderRunReport({ record: r, drift: null }), /id="segments"/);
  });
});
