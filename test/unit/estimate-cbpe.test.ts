import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { estimateCbpe, type ChunkEstimate } from '../../src/data/estimate/cbpe.js';
import { estimatePerformance } from '../../src/data/estimate/evidence.js';
import { calibrate, fitIsotonic } from '../../src/data/estimate/isotonic.js';
import { METRICS, realizedMetrics, rocAuc } from '../../src/data/estimate/realized.js';
import { RetrainError } from '../../src/errors.js';

// NannyML 0.13.1 CBPE on its synthetic car-loan data (test/fixtures/estimate/make_nannyml.py writes both).
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/estimate');
type Nml = { value: number; sampling_error: number; lower_confidence_boundary: number; upper_confidence_boundary: number };
type NmlChunk = { start: number; end: number } & Record<string, Nml>;
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected-nannyml.json'), 'utf8')) as { needsCalibration: boolean; whole: NmlChunk; chunks: NmlChunk[] };
const reference = { location: path.join(FIXTURES, 'reference.csv'), format: 'csv' as const };
const current = { location: path.join(FIXTURES, 'current.csv'), format: 'csv' as const };
const opts = { target: 'repaid', reference: { proba: 'proba', pred: 'pred' } };

let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

function agrees(ours: ChunkEstimate, theirs: NmlChunk, where: string) {
  assert.equal(ours.start, theirs.start, `${where}: start`);
  assert.equal(ours.end, theirs.end, `${where}: end`);
  for (const m of ['roc_auc', 'accuracy'] as const) {
    const d = Math.abs(ours.metrics[m].value - theirs[m]!.value);
    assert.ok(d <= 0.005, `${where} ${m}: ours ${ours.metrics[m].value}, NannyML ${theirs[m]!.value} (|d| = ${d})`);
  }
  for (const m of METRICS) {
    const d = Math.abs(ours.metrics[m].value - theirs[m]!.value);
    assert.ok(d <= 0.01, `${where} ${m}: ours ${ours.metrics[m].value}, NannyML ${theirs[m]!.value}`);
    const se = ours.metrics[m].samplingError;
    assert.ok(Math.abs(se - theirs[m]!.sampling_error) <= 1e-6 + 1e-3 * se, `${where} ${m} sampling error: ours ${se}, NannyML ${theirs[m]!.sampling_error}`);
  }
}

describe('CBPE agrees with NannyML', () => {
  it('whole period: ROC AUC and accuracy within 0.005, sampling errors equal', async () => {
    const r = await estimateCbpe(engine, reference, current, opts);
    assert.equal(r.reference.calibrated, expected.needsCalibration);
    agrees(r.whole, expected.whole, 'whole');
  });
  it('10 chunks: ROC AUC and accuracy within 0.005 per chunk', async () => {
    const r = await estimateCbpe(engine, reference, current, { ...opts, chunks: 10 });
    assert.equal(r.chunks.length, expected.chunks.length);
    r.chunks.forEach((c, i) => agrees(c, expected.chunks[i]!, `chunk ${i}`));
  });
  // CBPE assumes calibration carries over (no concept shift). The fixture's first half has no shift; its second half
  // has a covariate shift under which the fixture's (misspecified) logistic model is no longer calibrated, so there
  // both tools' bands miss: the test states the rate where the assumption holds and that the misses are NannyML's too.
  it('the band covers the realised value where labels are known: 25 of 25 unshifted chunk-metrics, and as often as NannyML\'s under shift', async () => {
    const r = await estimateCbpe(engine, reference, current, { ...opts, chunks: 10 });
    const cols = await engine.columns(`SELECT proba::DOUBLE, repaid::DOUBLE, pred::DOUBLE FROM read_csv($1) `, [current.location]);
    const [p, y, yhat] = cols.map((c) => Float64Array.from(c as number[]));
    const coverage = { ours: [0, 0], nannyml: [0, 0] };
    const misses: string[] = [];
    r.chunks.forEach((c, i) => {
      const real = realizedMetrics(p!.subarray(c.start, c.end), y!.subarray(c.start, c.end), yhat!.subarray(c.start, c.end));
      const half = c.start < 5000 ? 0 : 1;
      for (const m of METRICS) {
        const theirs = expected.chunks[i]![m]!;
        if (c.metrics[m].lower <= real[m] && real[m] <= c.metrics[m].upper) coverage.ours[half]!++;
        else if (half === 0) misses.push(`${c.start}-${c.end} ${m}: ${real[m]} outside [${c.metrics[m].lower}, ${c.metrics[m].upper}]`);
        if (theirs.lower_confidence_boundary <= real[m] && real[m] <= theirs.upper_confidence_boundary) coverage.nannyml[half]!++;
      }
    });
    assert.equal(coverage.ours[0], 25, misses.join('; '));
    assert.equal(coverage.ours[1], coverage.nannyml[1], `under shift: ours covers ${coverage.ours[1]} of 25, NannyML ${coverage.nannyml[1]}`);
  });
});

describe('CBPE building blocks', () => {
  it('isotonic fit pools violators and interpolates between distinct scores, clipped outside', () => {
    const fit = fitIsotonic(Float64Array.from([0.1, 0.2, 0.2, 0.3, 0.4]), Float64Array.from([0, 1, 0, 0, 1]));
    // 0.2 pools to 0.5, then violates 0.3 (0): block {0.2, 0.3} = 1/3.
    assert.deepEqual([...fit.x], [0.1, 0.2, 0.3, 0.4]);
    assert.deepEqual([...fit.y].map((v) => Number(v.toFixed(6))), [0, 0.333333, 0.333333, 1]);
    assert.equal(calibrate(fit, 0), 0);
    assert.equal(calibrate(fit, 1), 1);
    assert.ok(Math.abs(calibrate(fit, 0.35) - (1 / 3 + 0.5 * (2 / 3))) < 1e-12);
  });
  it('realised ROC AUC counts ties one half', () => {
    assert.equal(rocAuc(Float64Array.from([0.5, 0.5]), Float64Array.from([0, 1])), 0.5);
    assert.equal(rocAuc(Float64Array.from([0.1, 0.4, 0.35, 0.8]), Float64Array.from([0, 0, 1, 1])), 0.75);
  });
  it('a score outside [0, 1] is refused, naming file, column and value', async () => {
    const bad = path.join(mkdtempSync(path.join(tmpdir(), 'cbpe-')), 'bad.csv');
    writeFileSync(bad, 'proba,pred\n0.2,0\n1.5,1\n');
    await assert.rejects(estimateCbpe(engine, reference, { location: bad }, opts), (e: unknown) => {
      assert.ok(e instanceof RetrainError);
      assert.match(e.message, /bad\.csv: 1 row\(s\) of "proba" are not probabilities in \[0, 1\] \(e\.g\. "1\.5"\)/);
      return true;
    });
  });
  it('a reference label other than 0/1 is refused (binary classification only)', async () => {
    await assert.rejects(estimateCbpe(engine, reference, current, { ...opts, target: 'proba' }), /reference\.csv: .* of "proba" are not a label 0 or 1/);
  });
});

describe('CBPE per period (--by <time column> --every)', () => {
  it('weekly-style periods give the same estimates as the equal row chunks they coincide with', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cbpe-period-'));
    const timed = path.join(dir, 'timed.parquet');
    // 2,000 rows per week starting on Monday 2026-01-05, in file order.
    await engine.rows(`COPY (SELECT *, TIMESTAMP '2026-01-05' + INTERVAL 1 minute * ((row_number() OVER () - 1) * 7 * 1440 // 2000) AS ts FROM read_csv($1)) TO '${timed}' (FORMAT parquet)`, [current.location]);
    const byTime = await estimateCbpe(engine, reference, { location: timed }, { ...opts, period: { by: 'ts', every: '1w' } });
    const byRows = await estimateCbpe(engine, reference, current, { ...opts, chunks: 5 });
    assert.equal(byTime.chunks.length, 5);
    assert.deepEqual(byTime.chunks.map((c) => c.period?.from), ['2026-01-05T00:00:00Z', '2026-01-12T00:00:00Z', '2026-01-19T00:00:00Z', '2026-01-26T00:00:00Z', '2026-02-02T00:00:00Z']);
    byTime.chunks.forEach((c, i) => {
      assert.equal(c.end - c.start, 2000);
      for (const m of METRICS) assert.ok(Math.abs(c.metrics[m].value - byRows.chunks[i]!.metrics[m].value) < 1e-9, `period ${i} ${m}`);
    });
    await assert.rejects(estimateCbpe(engine, reference, { location: timed }, { ...opts, period: { by: 'ts', every: '1 week' } }), /every: expected a whole number of hours, days or weeks/);
  });
});

describe('estimatePerformance (what the check step calls) and the CLI', () => {
  it('returns the trigger evidence: one metric, its band, and the reference\'s realised value', async () => {
    const e = await estimatePerformance(engine, reference, current, { ...opts, metric: 'roc_auc' });
    const labels = await engine.columns(`SELECT proba::DOUBLE, repaid::DOUBLE FROM read_csv($1)`, [reference.location]);
    const realised = rocAuc(Float64Array.from(labels[0] as number[]), Float64Array.from(labels[1] as number[]));
    assert.equal(e.metric, 'roc_auc');
    assert.ok(Math.abs(e.value - expected.whole.roc_auc!.value) <= 0.005);
    assert.ok(Math.abs(e.lower - expected.whole.roc_auc!.lower_confidence_boundary) <= 0.005);
    assert.ok(Math.abs(e.upper - expected.whole.roc_auc!.upper_confidence_boundary) <= 0.005);
    assert.ok(Math.abs(e.reference - realised) < 1e-12);
  });
  it('retrain data estimate --json prints the report, per chunk with --chunks', async () => {
    const bin = path.resolve(import.meta.dirname, '../../bin/retrain.js');
    const out = await execa(process.execPath, [bin, 'data', 'estimate', reference.location, current.location, '--target', 'repaid', '--proba', 'proba', '--pred', 'pred', '--chunks', '10', '--json']);
    const report = JSON.parse(out.stdout) as { whole: ChunkEstimate; chunks: ChunkEstimate[] };
    assert.equal(report.chunks.length, 10);
    assert.ok(Math.abs(report.whole.metrics.accuracy.value - expected.whole.accuracy!.value) <= 0.005);
    const human = await execa(process.execPath, [bin, 'data', 'estimate', reference.location, current.location, '--target', 'repaid', '--proba', 'proba']);
    assert.match(human.stdout, /calibrated \(isotonic\)/);
    assert.match(human.stdout, /roc_auc/);
  });
});
