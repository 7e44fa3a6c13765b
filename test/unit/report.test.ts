import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import type { RunRecord } from '../../src/audit/audit-log.js';
import type { ColumnDrift, DriftReport } from '../../src/data/drift/detect.js';
import { detectDrift } from '../../src/data/drift/detect.js';
import { categoricalHistogram, MAX_BARS } from '../../src/data/drift/histogram.js';
import { DataEngine } from '../../src/data/engine.js';
import { renderDriftPage } from '../../src/report/drift-section.js';
import { esc } from '../../src/report/html.js';
import { evidenceFromHistory } from '../../src/report/run-evidence.js';
import { renderRunReport } from '../../src/report/run-report.js';
import { currentChampion, renderTimeline } from '../../src/report/timeline.js';
import { buildRunReport } from '../../src/report/write-report.js';

const EVIL_COLUMN = '<script>alert(1)</script>';
const EVIL_REASON = 'bad </svg><img src=x onerror=alert(2)> "quoted" & more';
const fixture = (name: string) => path.join(import.meta.dirname, '..', 'fixtures', 'drift', name);
const history = (name: string) => historyFromJSON(JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'replay', 'histories', name), 'utf8')));

function numericColumn(name: string, bins = 25, rows = 10_000_000): ColumnDrift {
  const ref = Array.from({ length: bins }, (_, k) => Math.round((rows / bins) * (1 + Math.sin(k))));
  const cur = ref.map((x, k) => Math.round(x * (1 + 0.3 * Math.cos(k))));
  const edges = Array.from({ length: bins + 1 }, (_, k) => -3 + (6 * k) / bins);
  return {
    column: name, kind: 'numeric', test: 'wasserstein', statistic: 0.21, pValue: null, threshold: 0.1, drifted: true,
    stats: { wasserstein: 0.21, psi: 0.3, jensenshannon: 0.12 },
    histogram: { labels: ref.map((_, k) => `${edges[k]!.toPrecision(3)} – ${edges[k + 1]!.toPrecision(3)}`), ref, cur },
  };
}
function categoricalColumn(name: string, categories: string[]): ColumnDrift {
  const ref = categories.map((_, i) => 1000 + i * 37);
  const cur = categories.map((_, i) => 1200 - i * 11);
  return { column: name, kind: 'categorical', test: 'jensenshannon', statistic: 0.04, pValue: null, threshold: 0.1, drifted: false, stats: {}, histogram: categoricalHistogram({ categories, ref, cur, nRef: 0, nCur: 0 }) };
}
const driftReport = (columns: ColumnDrift[]): DriftReport => ({ reference: '/data/ref.parquet', current: '/data/cur.csv', columns, driftedShare: 0.5, datasetShareThreshold: 0.5, datasetDrift: true });

function record(over: Partial<RunRecord> = {}, i = 0): RunRecord {
  const started = new Date(Date.UTC(2026, 0, 1 + i)).toISOString();
  return {
    model: 'churn', workflowId: `retrain/churn/${i}`, temporalRunId: 'run-1', parentWorkflowId: null, startedAt: started, finishedAt: new Date(Date.parse(started) + 60_000).toISOString(),
    triggers: [{ reason: 'drift_alert', source: 'monitor', details: { note: EVIL_REASON, column: EVIL_COLUMN } }],
    coalesced: { total: 1, byReason: { drift_alert: 1 } }, force: false,
    decision: { retrain: true, reason: EVIL_REASON, breaches: 0, rules: [{ rule: 'data_drift', fired: true, measured: 0.5, threshold: 0.5, detail: `${EVIL_COLUMN} drifted` }, { rule: 'new_rows', fired: false, measured: 10, threshold: 100, detail: '10 new rows' }] },
    dataLocation: 'data/current.csv',
    check: {
      fingerprint: { sha256: 'ab'.repeat(32), files: 1, bytes: 1000, rows: 100, schema: [{ name: EVIL_COLUMN, type: 'DOUBLE' }] },
      production: { version: 1, metrics: { auc: 0.8 }, dataSha256: 'cd'.repeat(32), artifactUri: '/x', createdAt: started, trainDataRows: 90, params: {} },
      dataUnchanged: false, paramsUnchanged: true,
      drift: { datasetDrift: true, driftedShare: 0.5, datasetShareThreshold: 0.5, driftedColumns: [EVIL_COLUMN], reportFile: '/nonexistent/drift.json' },
      predictionDrift: null, performance: { metric: 'auc', direction: 'maximize', current: 0.78, baseline: 0.8 }, newRows: 10,
    },
    result: { model: 'churn', reason: EVIL_REASON, triggers: ['drift_alert'], dataFingerprint: null, decision: null, outcome: 'promoted', version: 2, previousVersion: 1, metrics: { candidate: { auc: 0.85, [EVIL_COLUMN]: 1 }, production: { auc: 0.8 } } },
    codeVersion: 'abc123', configFile: 'retrain.config.yaml',
    evidence: {
      trainDurationMs: 4200,
      validation: { location: 'data/current.csv', rows: 100, passed: true, violations: [{ rule: 'allowed', column: EVIL_COLUMN, expected: 'a, b', observed: '1 value', samples: [EVIL_REASON], severity: 'warn' }] },
      comparison: { test: 'bootstrap', metric: 'auc', rows: 1000, gain: 0.05, ci: [0.01, 0.09], pValue: 0.01, level: 0.95 },
    },
    ...over,
  };
}

/** Every tag in the page must be one the renderer writes: no data string may open one. */
function assertNoInjectedMarkup(html: string) {
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /<[^>]*onerror=/i);
  const opens = html.match(/<svg\b/g)?.length ?? 0;
  const closes = html.match(/<\/svg>/g)?.length ?? 0;
  assert.equal(opens, closes, 'every </svg> in the page closes an <svg> the renderer opened');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.doesNotMatch(html, /<link|\bsrc="http|@import/i, 'nothing is fetched at view time');
}

describe('HTML reports', () => {
  let engine: DataEngine;
  before(async () => (engine = await DataEngine.open()));
  after(() => engine.close());

  it('escapes a column named <script> and a reason containing </svg> everywhere they appear', () => {
    const drift = driftReport([numericColumn(EVIL_COLUMN), categoricalColumn('plan', [EVIL_REASON, 'b', '</svg>'])]);
    const run = renderRunReport({ record: record(), drift, temporalUrl: 'http://localhost:8233/namespaces/default/workflows/x/run-1/history', mlflowUrl: 'javascript:alert(3)' });
    for (const html of [run, renderDriftPage(drift), renderTimeline({ model: 'churn', records: [record()], metric: 'auc' })]) {
      assertNoInjectedMarkup(html);
      assert.ok(html.includes(esc(EVIL_COLUMN)), 'the column name is shown, escaped');
    }
    assert.ok(run.includes(esc(EVIL_REASON)));
    assert.doesNotMatch(run, /href="javascript:/, 'only http(s) links become links');
    assert.match(run, /href="http:\/\/localhost:8233\/namespaces\/default\/workflows\/x\/run-1\/history"/);
  });

  it('the run report shows every rule, the triggers, validation samples, the CI and lineage', () => {
    const html = renderRunReport({ record: record(), drift: driftReport([numericColumn('x')]) });
    assert.match(html, /data_drift<\/td><td class="fired">fired/);
    assert.match(html, /new_rows<\/td><td class="quiet">quiet/);
    assert.match(html, /95% CI \[0\.01, 0\.09\]/);
    assert.match(html, /drift_alert<\/td><td>monitor/);
    assert.ok(html.includes('ab'.repeat(32)), 'data sha256');
    assert.match(html, /training took 4\.2 s/);
    assert.ok(html.includes(esc(JSON.stringify([EVIL_REASON]))), 'validation samples');
    assert.equal(html.match(/<rect /g)?.length, 2 * 25, 'one reference and one current bar per bin');
  });

  it('links the run in the Temporal Web UI and its MLflow run when tracked', async () => {
    const html = await buildRunReport(record({ tracking: { mlflowRunId: 'abc123' } }), { temporalUi: 'http://ui:8233/', namespace: 'prod', mlflowUri: 'http://mlflow:5000' });
    assert.match(html, /href="http:\/\/ui:8233\/namespaces\/prod\/workflows\/retrain%2Fchurn%2F0\/run-1\/history"/);
    assert.match(html, /href="http:\/\/mlflow:5000\/#\/runs\/abc123">MLflow run/);
  });

  it('a 20-column report (10M rows per side) weighs well under 2 MB', () => {
    const columns = Array.from({ length: 20 }, (_, i) => (i % 2 ? numericColumn(`num_${i}`, 25) : categoricalColumn(`cat_${i}`, Array.from({ length: 10_000 }, (_, k) => `category-${k}`))));
    const start = performance.now();
    const html = renderRunReport({ record: record(), drift: driftReport(columns) });
    const ms = performance.now() - start;
    const bytes = Buffer.byteLength(html);
    console.log(`20-column run report: ${bytes} bytes, rendered in ${ms.toFixed(1)} ms`);
    assert.ok(bytes < 500_000, `${bytes} bytes`);
  });

  it('the drift report carries binned counts: histograms for numeric columns, capped frequency bars for categories', async () => {
    const num = await detectDrift(engine, { location: fixture('normal-small-ref.csv'), format: 'csv' }, { location: fixture('normal-small-cur.csv'), format: 'csv' });
    const h = num.columns[0]!.histogram!;
    assert.ok(h, 'numeric column has a histogram');
    assert.equal(h.ref.length, h.labels.length);
    assert.ok(h.ref.reduce((s, x) => s + x, 0) > 0 && h.cur.reduce((s, x) => s + x, 0) > 0);
    const cat = await detectDrift(engine, { location: fixture('categories-ref.csv'), format: 'csv' }, { location: fixture('categories-cur.csv'), format: 'csv' });
    assert.ok(cat.columns[0]!.histogram!.labels.includes('a'));
    const many = categoricalHistogram({ categories: Array.from({ length: 100 }, (_, i) => `c${i}`), ref: Array(100).fill(1), cur: Array(100).fill(2), nRef: 100, nCur: 200 });
    assert.equal(many.labels.length, MAX_BARS + 1);
    assert.equal(many.labels.at(-1), `other (${100 - MAX_BARS})`);
    assert.equal(many.ref.reduce((s, x) => s + x, 0), 100, 'no count is lost to the cap');
  });

  it('reads the validation report, training time and comparison from a run history', () => {
    const failed = evidenceFromHistory(history('pipeline-failed-validate.json'));
    assert.equal(failed.validation?.passed, false);
    assert.deepEqual(failed.validation?.violations[0]?.samples, [-5]);
    const promoted = evidenceFromHistory(history('pipeline-promoted.json'));
    assert.equal(typeof promoted.trainDurationMs, 'number');
    assert.equal(promoted.validation?.passed, true);
    assert.match(promoted.evaluationSha256 ?? '', /^[0-9a-f]{64}$/);
  });

  it('the timeline marks every run with its trigger and reason and names the current champion', () => {
    const outcomes = ['promoted', 'skipped', 'rejected', 'promoted'] as const;
    const records = outcomes.map((outcome, i) => {
      const r = record({}, i);
      const base = { ...r.result, outcome } as RunRecord['result'];
      const result = (outcome === 'skipped' ? { model: 'churn', reason: 'skipped: quiet', triggers: [], dataFingerprint: null, decision: null, outcome } : { ...base, version: i + 1, productionVersion: 1 }) as RunRecord['result'];
      return { ...r, result };
    });
    const html = renderTimeline({ model: 'churn', records, metric: 'auc' });
    assert.equal(html.match(/<circle /g)?.length, 4, 'one marker per run');
    assert.match(html, /class="marker skipped"><title>[^<]*skipped[\s\S]*?triggers: drift_alert from monitor/);
    assert.match(html, /<path d="M/);
    assert.equal(currentChampion(records).version, 4);
    assert.match(html, /Current champion: <b>v4<\/b>/);
  });
});
