import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sortedColumns } from '../../src/data/drift/numeric.js';
import { radixSortDoubles } from '../../src/data/drift/radix-sort.js';
import { giveBuffer, MIN_POOLED_BYTES, takeBuffer, takeDoubles, withColumnBuffers } from '../../src/data/drift/column-buffers.js';
import { compareSortedSides, PARALLEL_MIN_VALUES, sortDoubles } from '../../src/data/drift/drift-threads.js';
import { sortedComparison } from '../../src/data/drift/sorted-stats.js';
import { DataEngine } from '../../src/data/engine.js';

/** A seeded generator (mulberry32): the same cases on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Same order as the typed-array sort, value by value (NaN equals NaN; -0 and +0 kept apart). */
function assertSameOrder(actual: Float64Array, values: Float64Array, what: string) {
  const expected = Float64Array.from(values).sort();
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: at ${i} got ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('radix sort of doubles (issue 18, item 4)', () => {
  it('orders as Float64Array.prototype.sort: signs, zeros, infinities, NaN, subnormals, duplicates, one shared range', () => {
    const rnd = random(7);
    const special = [0, -0, Infinity, -Infinity, NaN, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 2 ** -1074, 1e-310];
    const cases: [string, (i: number) => number][] = [
      ['wide range', () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20)],
      ['one range (high digits shared)', () => 1 + rnd()],
      ['few values', () => Math.floor(rnd() * 4) - 2],
      ['specials mixed in', (i) => (i % 5 === 0 ? special[Math.floor(rnd() * special.length)]! : rnd() - 0.5)],
      ['all equal', () => 3.25],
      ['integers', () => Math.floor(rnd() * 1e9) * (rnd() < 0.5 ? -1 : 1)],
      // One digit differs (the only pass both makes and undoes the keys), then two, on both signs.
      ['low 16 bits only', () => 1 + Math.floor(rnd() * 65536) * 2 ** -52],
      ['low 16 bits only, negative', () => -1 - Math.floor(rnd() * 65536) * 2 ** -52],
      ['low 32 bits only', () => 1 + Math.floor(rnd() * 2 ** 32) * 2 ** -52],
    ];
    for (const [name, gen] of cases) {
      for (const n of [0, 1, 2, 255, 256, 257, 5_000, 100_003]) {
        const values = Float64Array.from({ length: n }, (_, i) => gen(i));
        assertSameOrder(radixSortDoubles(Float64Array.from(values)), values, `${name}, n=${n}`);
      }
    }
  });

  it('sorts a subarray in place, with a scratch buffer larger than it, and leaves the rest alone', () => {
    const rnd = random(11);
    const all = Float64Array.from({ length: 3000 }, () => rnd() - 0.5);
    const before = Float64Array.from(all);
    const part = all.subarray(1000, 2500);
    const copy = Float64Array.from(part);
    radixSortDoubles(part, new Float64Array(4000));
    assertSameOrder(part, copy, 'subarray');
    assert.deepEqual(all.subarray(0, 1000), before.subarray(0, 1000));
    assert.deepEqual(all.subarray(2500), before.subarray(2500));
  });
});

describe('large sorts and comparisons on the drift threads', () => {
  it('two sorts at once come back sorted, as the typed-array sort orders them, with their own offsets; the test process then exits', async () => {
    const rnd = random(3);
    const n = PARALLEL_MIN_VALUES + 17;
    const make = () => {
      const buffer = new Float64Array(n + 5); // a column's capacity: longer than its values
      for (let i = 0; i < n; i++) buffer[i] = i % 1000 === 0 ? NaN : (rnd() - 0.5) * 1e6;
      return buffer.subarray(0, n);
    };
    const [a, b] = [make(), make()];
    const [copyA, copyB] = [Float64Array.from(a), Float64Array.from(b)];
    const [sa, sb] = await Promise.all([sortDoubles(a), sortDoubles(b)]);
    assertSameOrder(sa, copyA, 'first');
    assertSameOrder(sb, copyB, 'second');
    assertSameOrder(await sortDoubles(Float64Array.from(copyA)), copyA, 'again, once the thread is idle');
  });

  it('more comparisons than threads at once: each waits for a thread and equals the same comparison worked here', async () => {
    const rnd = random(5);
    const column = (n: number, shift: number, integer: boolean) =>
      radixSortDoubles(Float64Array.from({ length: n }, () => (integer ? Math.floor(rnd() * 50) : rnd() + rnd()) + shift));
    const cases = [
      { a: column(600_000, 0, false), b: column(700_000, 0.01, false), integer: false },
      { a: column(900_000, 0, true), b: column(500_000, 1, true), integer: true },
      { a: column(550_000, 0, false), b: column(650_000, 0.5, false), integer: false },
    ];
    const expected = cases.map((c) => sortedComparison(c.a, c.b, c.integer));
    const got = await Promise.all(cases.map((c) => compareSortedSides(Float64Array.from(c.a), Float64Array.from(c.b), c.integer)));
    assert.deepEqual(got, expected);
  });
});

describe('column buffers reused within a report (column-buffers.ts)', () => {
  it('a buffer given back while a report runs is the next one taken; outside a report nothing is kept', async () => {
    const bytes = MIN_POOLED_BYTES + 100;
    const outside = takeBuffer(bytes);
    giveBuffer(outside);
    assert.notEqual(takeBuffer(bytes), outside, 'no report: the buffer was dropped');
    await withColumnBuffers(async () => {
      const a = takeBuffer(bytes);
      assert.ok(a.byteLength >= bytes);
      giveBuffer(a);
      giveBuffer(a); // twice: still one entry
      assert.equal(takeBuffer(bytes - 50), a, 'reused, and a smaller request fits it');
      assert.notEqual(takeBuffer(bytes), a, 'taken: not handed out twice');
      giveBuffer(new ArrayBuffer(1000)); // small ones are never kept
      assert.equal(takeBuffer(10).byteLength, 10);
      assert.equal(takeDoubles(5).length, 5);
    });
  });
});

describe('columns streamed from DuckDB and sorted here', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-colsort-'));
  let engine: DataEngine;
  before(async () => {
    engine = await DataEngine.open();
  });
  after(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('NULLs are left out, NaN and infinities counted as non-finite, per column, across many chunks', async () => {
    const file = path.join(dir, 'nulls.parquet');
    const rows = 10_000; // five DuckDB chunks
    await engine.rows(`COPY (SELECT CASE WHEN i % 7 = 0 THEN NULL WHEN i % 11 = 0 THEN 'NaN'::DOUBLE WHEN i % 13 = 0 THEN '-inf'::DOUBLE ELSE (hash(i) % 1000)::DOUBLE END AS a,
      CASE WHEN i % 3 = 0 THEN NULL ELSE -i::DOUBLE END AS b, (i % 5)::INTEGER AS c FROM range(${rows}) t(i)) TO '${file}' (FORMAT parquet)`);
    const scan = { from: 'read_parquet($1)', params: [file], rows, label: file };
    const [a, b, c] = await sortedColumns(engine, ['a', 'b', 'c'], scan);
    const expect = async (col: string) => {
      const [r] = await engine.rows(`SELECT count(${col}) FILTER (WHERE isfinite(${col}::DOUBLE))::BIGINT AS f, count(${col}) FILTER (WHERE NOT isfinite(${col}::DOUBLE))::BIGINT AS nf, list(${col}::DOUBLE ORDER BY ${col}::DOUBLE) FILTER (WHERE isfinite(${col}::DOUBLE)) AS v FROM read_parquet($1)`, [file]);
      return { finite: Number(r!.f), nonFinite: Number(r!.nf), values: (r!.v as { items: number[] }).items ?? r!.v };
    };
    for (const [name, got] of [['a', a!], ['b', b!], ['c', c!]] as const) {
      const want = await expect(name);
      assert.equal(got.values.length, want.finite, `${name}: finite values`);
      assert.equal(got.nonFinite, want.nonFinite, `${name}: non-finite values`);
      assert.deepEqual(Array.from(got.values), (want.values as number[]).map(Number), `${name}: sorted values`);
    }
  });

  it('more values than the scan says it holds is an error, not a silent overflow', async () => {
    const file = path.join(dir, 'over.parquet');
    await engine.rows(`COPY (SELECT i::DOUBLE AS x FROM range(5000) t(i)) TO '${file}' (FORMAT parquet)`);
    await assert.rejects(sortedColumns(engine, ['x'], { from: 'read_parquet($1)', params: [file], rows: 4000, label: file }), /more than the 4000 rows/);
  });
});
