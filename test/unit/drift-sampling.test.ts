import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MIN_SAMPLE_ROWS, sampleSize } from '../../src/data/drift/budget.js';
import { detectDrift, sampledNote, type DriftReport } from '../../src/data/drift/detect.js';
import { DataEngine } from '../../src/data/engine.js';

const dir = mkdtempSync(path.join(tmpdir(), 'retrain-drift-sampling-'));
let engine: DataEngine;
after(() => engine.close());

const ROWS = 20_000;
const SAME = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
const SHIFTED = ['n8', 'n9', 'n10', 'n11'];
const FEW = ['f0', 'f1']; // integers with 4 values: compared as categories, by exact counts over every row
const CATEGORIES = ['c0', 'c1'];

/** A deterministic, roughly normal value (sum of three hashed uniforms, std 0.5) for row i, column k, side s. */
const normal = (k: number, s: number) => `((hash(i, ${k}, ${s}) % 1000000) / 1e6 + (hash(i, ${k}, ${s}, 1) % 1000000) / 1e6 + (hash(i, ${k}, ${s}, 2) % 1000000) / 1e6 - 1.5)`;

async function build(name: string, seed: number, rows: number, shift: boolean) {
  const file = path.join(dir, name);
  const cols = [
    ...SAME.map((c, k) => `${normal(k, seed)}::DOUBLE AS ${c}`),
    // Shifted by one standard deviation and a half: Wasserstein/std ≈ 1.5, far above 0.1.
    ...SHIFTED.map((c, k) => `(${normal(k + 20, seed)}${shift ? ' + 0.75' : ''})::DOUBLE AS ${c}`),
    ...FEW.map((c, k) => `(hash(i, ${k + 40}, ${seed}) % 4)::INTEGER AS ${c}`),
    ...CATEGORIES.map((c, k) => `('v' || (hash(i, ${k + 60}, ${seed}) % 7))::VARCHAR AS ${c}`),
  ];
  await engine.rows(`COPY (SELECT ${cols.join(', ')} FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`);
  return { location: file, format: 'auto' as const };
}

let ref: { location: string; format: 'auto' };
let cur: { location: string; format: 'auto' };
let small: { location: string; format: 'auto' };
before(async () => {
  engine = await DataEngine.open();
  ref = await build('ref.parquet', 1, ROWS, false);
  cur = await build('cur.parquet', 2, ROWS, true);
  small = await build('small-ref.parquet', 3, 800, false);
});

/** 16 numeric columns × 20,000 rows = 320,000 values a side: a budget of 20,000 samples 2,000 rows (the minimum). */
const BUDGET = 20_000;
const col = (r: DriftReport, name: string) => r.columns.find((c) => c.column === name)!;

describe('drift over the value budget is computed on a row sample (issue 13, item 13)', () => {
  it('the sample size: none within the budget or for a small side, else budget ÷ columns, at least the minimum', () => {
    assert.equal(sampleSize(20_000, 16, 20_000_000, 1000), null, 'within the budget');
    assert.equal(sampleSize(800, 10_000, 1000, 1000), null, 'a small reference is never sampled');
    assert.equal(sampleSize(20_000, 16, Infinity, 1000), null, 'exact');
    assert.equal(sampleSize(50_000, 9_000, 20_000_000, 1000), 2_222);
    assert.equal(sampleSize(1_000_000, 10, 1_000_000, 1000), 100_000);
    assert.equal(sampleSize(20_000, 16, BUDGET, 1000), MIN_SAMPLE_ROWS);
  });

  it('sampled Wasserstein/std and Jensen-Shannon agree with the exact ones, and so does every verdict', async () => {
    const exact = await detectDrift(engine, ref, cur, { exact: true, valueBudget: BUDGET });
    const sampled = await detectDrift(engine, ref, cur, { valueBudget: BUDGET });
    assert.equal(exact.sampled, undefined, 'exact: true never samples');
    assert.deepEqual(sampled.sampled, { reference: { rows: MIN_SAMPLE_ROWS, of: ROWS }, current: { rows: MIN_SAMPLE_ROWS, of: ROWS }, valueBudget: BUDGET });
    // The stated tolerance: 4 standard errors of a sample of n rows, 4/√n (0.089 at n = 2,000).
    const tolerance = 4 / Math.sqrt(MIN_SAMPLE_ROWS);
    for (const name of [...SAME, ...SHIFTED]) {
      const [e, s] = [col(exact, name), col(sampled, name)];
      assert.equal(s.test, 'wasserstein', `${name}: the test follows the reference's size, not its sample's`);
      assert.ok(Math.abs(s.statistic - e.statistic) <= tolerance, `${name}: Wasserstein/std sampled ${s.statistic} vs exact ${e.statistic}`);
      assert.ok(Math.abs(s.stats.jensenshannon! - e.stats.jensenshannon!) <= tolerance, `${name}: Jensen-Shannon sampled ${s.stats.jensenshannon} vs exact ${e.stats.jensenshannon}`);
      assert.equal(s.drifted, SHIFTED.includes(name), `${name}: sampled verdict`);
      assert.equal(e.drifted, SHIFTED.includes(name), `${name}: exact verdict`);
      assert.deepEqual(s.sampled, { reference: { rows: MIN_SAMPLE_ROWS, of: ROWS }, current: { rows: MIN_SAMPLE_ROWS, of: ROWS } });
      assert.equal(e.sampled, undefined);
    }
    for (const name of FEW) assert.deepEqual(col(sampled, name), col(exact, name), `${name}: few numeric values are counted exactly, in full`);
    for (const name of CATEGORIES) {
      // Parquet over the budget: text categories are counted on the same row sample.
      const [e, s] = [col(exact, name), col(sampled, name)];
      assert.equal(s.test, 'jensenshannon');
      assert.ok(Math.abs(s.statistic - e.statistic) <= tolerance, `${name}: Jensen-Shannon sampled ${s.statistic} vs exact ${e.statistic}`);
      assert.equal(s.drifted, false);
      assert.ok(s.sampled);
    }
    assert.equal(sampled.datasetDrift, exact.datasetDrift);
    assert.match(sampledNote(sampled.sampled!), /reference 2,000 of 20,000 rows, current 2,000 of 20,000 rows; --exact/);
  });

  it('deterministic: the same file gives the same numbers, also copied to another path', async () => {
    const a = await detectDrift(engine, ref, cur, { valueBudget: BUDGET });
    const b = await detectDrift(engine, ref, cur, { valueBudget: BUDGET });
    assert.deepEqual(b, a);
    const copy = path.join(dir, 'ref-copy.parquet');
    copyFileSync(ref.location, copy);
    const c = await detectDrift(engine, { location: copy, format: 'auto' }, cur, { valueBudget: BUDGET });
    assert.deepEqual(c.columns, a.columns);
  });

  it('CSV (a seeded reservoir sample): deterministic, and the shifted columns drift', async () => {
    const asCsv = async (p: { location: string }, name: string) => {
      const file = path.join(dir, name);
      await engine.rows(`COPY (SELECT * FROM read_parquet('${p.location}')) TO '${file}' (FORMAT csv, HEADER true)`);
      return { location: file, format: 'auto' as const };
    };
    const [r, c] = [await asCsv(ref, 'ref.csv'), await asCsv(cur, 'cur.csv')];
    const a = await detectDrift(engine, r, c, { valueBudget: BUDGET });
    assert.deepEqual(a.sampled, { reference: { rows: MIN_SAMPLE_ROWS, of: ROWS }, current: { rows: MIN_SAMPLE_ROWS, of: ROWS }, valueBudget: BUDGET });
    assert.deepEqual(await detectDrift(engine, r, c, { valueBudget: BUDGET }), a);
    assert.deepEqual(a.columns.filter((x) => x.drifted).map((x) => x.column), SHIFTED);
  });

  it('data within the budget stays exact: the default budget gives the exact report', async () => {
    const byDefault = await detectDrift(engine, ref, cur);
    assert.equal(byDefault.sampled, undefined);
    assert.deepEqual(byDefault, await detectDrift(engine, ref, cur, { exact: true }));
  });

  it('a small reference (≤ 1000 rows) is never sampled; a large current side is', async () => {
    const r = await detectDrift(engine, small, cur, { valueBudget: BUDGET });
    assert.deepEqual(r.sampled, { current: { rows: MIN_SAMPLE_ROWS, of: ROWS }, valueBudget: BUDGET });
    const exact = await detectDrift(engine, small, cur, { exact: true });
    for (const name of [...SAME, ...SHIFTED]) {
      const [e, s] = [col(exact, name), col(r, name)];
      assert.equal(s.test, 'ks', `${name}: p-value tests on a small reference, as without sampling`);
      // Only the current side is sampled: the KS statistic moves by O(1/√2000) (a p-value test on clean
      // columns flags 5% of them by chance, on a sample as on the whole, so those verdicts are not compared).
      assert.ok(Math.abs(s.statistic - e.statistic) <= 4 / Math.sqrt(MIN_SAMPLE_ROWS), `${name}: KS sampled ${s.statistic} vs exact ${e.statistic}`);
    }
    for (const name of SHIFTED) assert.equal(col(r, name).drifted, true, name);
  });
});
