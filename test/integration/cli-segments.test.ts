import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/temporal/cli-binary.js';

const retrain = (args: string[]) => execa(path.join(PROJECT_ROOT, 'bin/retrain.js'), args, { reject: false });
const fixture = (name: string) => path.join(PROJECT_ROOT, 'test/fixtures/segments', name);
const SQL = "'); DROP TABLE x; --";

// Issue 15 §2 / issue 17 §1: `retrain data drift --segment` shows drift per segment, in the terminal, JSON and HTML.
describe('retrain data drift --segment (spawned as a user runs it)', () => {
  it('a drifted segment exits 3 though the dataset is quiet; --json lists segments most drifted first; --html escapes values', async () => {
    const html = path.join(mkdtempSync(path.join(tmpdir(), 'segments-cli-')), 'drift.html');
    const r = await retrain(['data', 'drift', fixture('regions-ref.csv'), fixture('regions-cur.csv'), '--segment', 'region', '--min-rows', '200', '--share', '0.4', '--json', '--html', html]);
    assert.equal(r.exitCode, 3, r.stderr);
    const report = JSON.parse(r.stdout) as { datasetDrift: boolean; segments: { columns: { segments: { value: string; datasetDrift: boolean; driftedColumns: string[] }[] }[] } };
    assert.equal(report.datasetDrift, false);
    const segs = report.segments.columns[0]!.segments;
    assert.deepEqual([segs[0]!.value, segs[0]!.datasetDrift, segs[0]!.driftedColumns], ['south', true, ['x', 'c']]);
    assert.ok(segs.some((s) => s.value === SQL));
    const page = readFileSync(html, 'utf8');
    assert.match(page, /Drift per segment/);
    assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.doesNotMatch(page, /<script>/);
    assert.match(page, /&#39;\); DROP TABLE x; --/);
  });

  it('the table names each segment; a segment column that does not exist exits 2 naming it', async () => {
    const r = await retrain(['data', 'drift', fixture('regions-ref.csv'), fixture('regions-cur.csv'), '--segment', 'region', '--min-rows', '200']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /segments of region \(at least 200 rows on both sides, top 20\)/);
    assert.match(r.stdout, /not tested: "tiny" \(250 \/ 40 rows\)/);
    const bad = await retrain(['data', 'drift', fixture('regions-ref.csv'), fixture('regions-cur.csv'), '--segment', 'country']);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /drift\.segments column "country" is not a column/);
  });
});
