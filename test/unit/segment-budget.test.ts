import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { detectSegmentDrift, SEGMENT_DETAIL_MAX, SEGMENT_TESTS_MAX } from '../../src/data/drift/segments.js';

describe('segment drift stays bounded on the widest data the config allows (red team: segments.json of gigabytes)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-segbudget-'));
  let engine: DataEngine;
  const COLUMNS = 2_050;
  const SEGMENTS = 100;
  const files = { ref: path.join(dir, 'ref.parquet'), cur: path.join(dir, 'cur.parquet') };
  before(async () => {
    engine = await DataEngine.open();
    // 100 segments of 12 rows a side, 2,050 numeric columns: 205,000 segment × column tests, over the budget.
    const cols = Array.from({ length: COLUMNS }, (_, k) => `(hash(i, ${k}, s) % 1000)::DOUBLE AS x${k}`).join(', ');
    for (const [side, seed] of [['ref', 1], ['cur', 2]] as const) {
      await engine.rows(`COPY (SELECT 'seg' || (i % ${SEGMENTS}) AS region, ${cols} FROM (SELECT i, ${seed} AS s FROM range(${SEGMENTS * 12}) t(i))) TO '${files[side]}' (FORMAT parquet)`);
    }
  });
  after(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`at most ${SEGMENT_TESTS_MAX.toLocaleString('en')} tests, the rest named as not tested; past ${SEGMENT_DETAIL_MAX.toLocaleString('en')} quiet columns keep only their verdict`, async () => {
    const report = await detectSegmentDrift(engine, { location: files.ref, format: 'parquet' }, { location: files.cur, format: 'parquet' }, [{ column: 'region', minRows: 10, top: 100 }]);
    const [col] = report.columns;
    const tested = col!.segments.length;
    assert.equal(tested, Math.floor(SEGMENT_TESTS_MAX / COLUMNS));
    assert.ok(tested * COLUMNS <= SEGMENT_TESTS_MAX);
    const over = col!.notTested.filter((n) => /over the budget/.test(n.why));
    assert.equal(over.length, SEGMENTS - tested, 'every segment left out is named, with why');
    for (const s of col!.segments) {
      assert.equal(s.columns.length, COLUMNS);
      for (const c of s.columns) if (!c.drifted) assert.ok(c.histogram === undefined && Object.keys(c.stats).length === 0, `${s.value}/${c.column}: verdict only`);
    }
    const bytes = Buffer.byteLength(JSON.stringify(report));
    assert.ok(bytes < 64 * 2 ** 20, `segments.json ${bytes} bytes`);
  });
});
