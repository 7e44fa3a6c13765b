import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { detectDrift } from '../../src/data/drift/detect.js';
import { detectSegmentDrift, EVIDENCE_MAX_BYTES, pickSegments, segmentEvidence, type SegmentDriftReport } from '../../src/data/drift/segments.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/segments');
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected-segments.json'), 'utf8')) as {
  minRows: number;
  nullRows: { reference: number; current: number };
  segments: Record<string, { refRows: number; curRows: number; columns?: Record<string, Record<string, number | string>> }>;
};
const ref = { location: path.join(FIXTURES, 'regions-ref.csv'), format: 'csv' as const };
const cur = { location: path.join(FIXTURES, 'regions-cur.csv'), format: 'csv' as const };
const SQL = "'); DROP TABLE x; --";
const HTML = '<script>alert(1)</script>';

function close(actual: number, want: number, what: string, abs = 1e-9, rel = 0) {
  const tol = Math.max(abs, rel * Math.abs(want));
  assert.ok(Math.abs(actual - want) <= tol, `${what}: got ${actual}, scipy says ${want} (tolerance ${tol})`);
}

let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

const run = () => detectSegmentDrift(engine, ref, cur, [{ column: 'region', minRows: expected.minRows, top: 20 }], { skip: { id: 'row identifier' } });

describe('drift per segment agrees with scipy/numpy on each segment of the committed fixture', () => {
  it('every statistic of every tested segment and column, within the tolerances of the dataset-level tests', async () => {
    const report = await run();
    const col = report.columns[0]!;
    const tested = Object.entries(expected.segments).filter(([, s]) => s.columns);
    assert.deepEqual(col.segments.map((s) => s.value).sort(), tested.map(([v]) => v).sort());
    for (const [value, want] of tested) {
      const seg = col.segments.find((s) => s.value === value)!;
      assert.deepEqual([seg.refRows, seg.curRows], [want.refRows, want.curRows], value);
      // The segment column is constant inside a segment: never tested against itself. The id is skipped.
      assert.deepEqual(seg.columns.map((c) => c.column), ['x', 'n', 'k', 'c', 'b'], value);
      for (const [name, w] of Object.entries(want.columns!)) {
        const got = seg.columns.find((c) => c.column === name)!;
        const what = `${value}/${name}`;
        if (name === 'x' || name === 'n') {
          close(got.stats.ks_statistic!, w.ks_statistic as number, `${what} KS statistic`);
          close(got.stats.ks_pvalue!, w.ks_pvalue as number, `${what} KS p-value`, 1e-300, 1e-6);
          close(got.stats.wasserstein!, w.wasserstein as number, `${what} Wasserstein / std`);
          close(got.stats.psi!, w.psi as number, `${what} PSI`);
          close(got.stats.jensenshannon!, w.jensenshannon as number, `${what} Jensen-Shannon`);
        } else {
          for (const k of ['jensenshannon', 'psi', 'chisquare_statistic', 'ztest_statistic'] as const) {
            if (w[k] === undefined) continue;
            // The z statistic's sign depends on which category is first; its two-sided p-value does not.
            const sign = k === 'ztest_statistic' ? Math.sign(got.stats[k]!) * Math.sign(w[k] as number) : 1;
            close(sign * got.stats[k]!, w[k] as number, `${what} ${k}`);
          }
          for (const k of ['chisquare_pvalue', 'ztest_pvalue'] as const) if (w[k] !== undefined) close(got.stats[k]!, w[k] as number, `${what} ${k}`, 1e-300, 1e-6);
        }
      }
    }
  });

  it('the default tests follow each segment\'s own reference size, and only the shifted segment drifted', async () => {
    const col = (await run()).columns[0]!;
    const north = col.segments.find((s) => s.value === 'north')!;
    const south = col.segments.find((s) => s.value === 'south')!;
    // north has 1,500 reference rows (> smallReferenceRows): distances; south 600: p-value tests.
    assert.deepEqual(north.columns.map((c) => c.test), ['wasserstein', 'wasserstein', 'jensenshannon', 'jensenshannon', 'jensenshannon']);
    assert.deepEqual(south.columns.map((c) => c.test), ['ks', 'ks', 'chisquare', 'chisquare', 'ztest']);
    assert.deepEqual(south.driftedColumns, ['x', 'c']);
    assert.equal(col.segments[0]!.value, 'south', 'most drifted share first');
    // Every verdict is scipy's value against the default threshold (a stable segment may drift by chance at p < 0.05).
    for (const s of col.segments) {
      const want = Object.entries(expected.segments[s.value]!.columns!).filter(([name, w]) => {
        const test = s.columns.find((c) => c.column === name)!.test;
        const v = w[test === 'ks' || test === 'chisquare' || test === 'ztest' ? `${test}_pvalue` : test] as number;
        return test === 'ks' || test === 'chisquare' || test === 'ztest' ? v < 0.05 : v >= 0.1;
      });
      assert.deepEqual([...s.driftedColumns].sort(), want.map(([name]) => name).sort(), s.value);
      assert.equal(s.driftedShare, want.length / 5);
    }
    // south: 2 of 5 columns; dataset drift at 50 %.
    assert.equal(south.driftedShare, 0.4);
    assert.equal(south.datasetDrift, false);
  });

  it('NULL segment values are no segment (counted), small segments are listed as not tested, passes stay bounded', async () => {
    const col = (await run()).columns[0]!;
    assert.deepEqual(col.nullRows, expected.nullRows);
    assert.deepEqual(col.notTested, [{ value: 'tiny', refRows: 250, curRows: 40, why: `fewer than ${expected.minRows} rows on one side` }]);
    // 1 count query + (count + sort) × 2 sides for one numeric batch + 2 distinct + 1 grouped count: 8, whatever the segments.
    assert.equal(col.passes, 8);
  });

  it('segment values that look like SQL or HTML stay data: counted, tested and reported by their exact text', async () => {
    const col = (await run()).columns[0]!;
    for (const v of [SQL, HTML]) {
      const s = col.segments.find((x) => x.value === v);
      assert.ok(s, `${v} is a segment`);
      assert.deepEqual([s.refRows, s.curRows], [expected.segments[v]!.refRows, expected.segments[v]!.curRows]);
    }
    // The dataset can still be read afterwards: nothing was executed.
    const whole = await detectDrift(engine, ref, cur, { columns: ['x'] });
    assert.equal(whole.columns.length, 1);
  });

  it('top keeps the largest segments; evidence is history-sized', async () => {
    const r = await detectSegmentDrift(engine, ref, cur, [{ column: 'region', minRows: 200, top: 2 }]);
    assert.deepEqual(r.columns[0]!.segments.map((s) => s.value).sort(), ['north', 'south']);
    assert.ok(r.columns[0]!.notTested.some((n) => n.value === SQL && n.why === 'beyond the top 2 segments'));
    const e = segmentEvidence(r);
    assert.equal(e.segments.length, 2);
    assert.ok(!('columns' in e.segments[0]!));
  });

  it('pickSegments: a long value is cut in the report, never grown', () => {
    const long = 'r'.repeat(5000);
    const { notTested } = pickSegments([{ value: long, refRows: 10, curRows: 900 }], { column: 'region', minRows: 500, top: 20 });
    assert.ok(notTested[0]!.value.length <= 200);
  });

  it('evidence stays bounded in bytes (it travels in workflow history): watched segments first, the rest counted', () => {
    const segments = Array.from({ length: 1000 }, (_, i) => ({
      column: 'region', value: `${'v'.repeat(190)}${i}`, refRows: 600, curRows: 600, columns: [], driftedShare: (i % 10) / 10, datasetDrift: false,
      driftedColumns: Array.from({ length: 50 }, (_, k) => `${'c'.repeat(150)}${k}`),
    }));
    const report: SegmentDriftReport = { reference: 'r', current: 'c', datasetShareThreshold: 0.5, columns: [{ column: 'region', minRows: 1, top: 1000, segments, notTested: [], nullRows: { reference: 0, current: 0 }, passes: 1 }] };
    const watched = segments[3]!.value; // driftedShare 0.3: not among the most drifted
    const e = segmentEvidence(report, { segments: [watched] });
    assert.ok(Buffer.byteLength(JSON.stringify(e)) <= EVIDENCE_MAX_BYTES + 4096, String(Buffer.byteLength(JSON.stringify(e))));
    assert.ok(e.segments.some((s) => s.value === watched), 'the watched segment is kept');
    assert.equal(e.segments.length + e.omitted!, 1000);
    assert.ok(e.segments.every((s) => s.driftedColumns.length <= 20 && s.driftedColumns.every((c) => c.length <= 100)));
  });
});
