import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { batchedCategoryCounts, categoriesOf, categoryCounts, countQuery } from '../../src/data/drift/categorical.js';
import { DataEngine } from '../../src/data/engine.js';

describe('category counts: one GROUPING SETS query per side and batch, ids screened out', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'retrain-catcounts-'));
  let engine: DataEngine;
  const ref = { location: path.join(dir, 'ref.parquet'), format: 'auto' as const, rows: 3000 };
  const cur = { location: path.join(dir, 'cur.csv'), format: 'auto' as const, rows: 2000 };
  // 70 columns: more than one batch. k0: 5 values with NULLs; k1: 110 values (over a limit of 100, under the screen's
  // margin); k2: 1,000 values (an id: screened out); k3: values that look like SQL, quotes and unicode; k4..: 3 values.
  const cols = (seed: number) => [
    `CASE WHEN i % 9 = 0 THEN NULL ELSE 'v' || (hash(i, ${seed}) % 5) END AS k0`,
    `(i % 110)::VARCHAR AS k1`,
    `(i % 1000)::VARCHAR AS k2`,
    `CASE i % 4 WHEN 0 THEN ''');DROP TABLE x;--' WHEN 1 THEN chr(233) WHEN 2 THEN 'e' || chr(769) ELSE '"q"' END AS k3`,
    ...Array.from({ length: 66 }, (_, j) => `(hash(i, ${j}, ${seed}) % 3)::INTEGER AS k${j + 4}`),
  ];
  const names = Array.from({ length: 70 }, (_, j) => `k${j}`);
  before(async () => {
    engine = await DataEngine.open();
    await engine.rows(`COPY (SELECT ${cols(1).join(', ')} FROM range(3000) t(i)) TO '${ref.location}' (FORMAT parquet)`);
    await engine.rows(`COPY (SELECT ${cols(2).join(', ')} FROM range(2000) t(i)) TO '${cur.location}' (FORMAT csv, HEADER true)`);
  });
  after(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('equal to one GROUP BY per column, for every column within the limit; over it, only a count', async () => {
    const counts = await batchedCategoryCounts(engine, names, ref, cur, 100);
    assert.deepEqual(counts.get('k1'), { approxDistinct: 110 }, 'over the limit in full, under the screen: cut in SQL, counted exactly');
    const id = counts.get('k2');
    assert.ok(id && 'approxDistinct' in id && id.approxDistinct > 120, `an id is screened out: ${JSON.stringify(id)}`);
    for (const name of names.filter((n) => n !== 'k1' && n !== 'k2')) {
      const got = counts.get(name)!;
      assert.ok(!('approxDistinct' in got), name);
      const want = await categoryCounts(engine, name, ref, cur);
      // The same categories and counts; the order is DuckDB's (byte order) in both.
      assert.deepEqual(got, want, name);
    }
    const sql = counts.get('k3') as { categories: string[] };
    assert.ok(sql.categories.includes("');DROP TABLE x;--"), 'a value that looks like SQL stays a value');
    assert.equal(sql.categories.filter((c) => c.normalize() === 'é').length, 2, 'two unicode spellings stay two categories');
  });

  it('GROUPING SETS (many rows) and unpivoted pairs (few rows) give the same counts, and the same cut', async () => {
    const part = ['k0', 'k1', 'k3', 'k4', 'k5'];
    const from = [await engine.reader(ref.location, ref.format, 1), await engine.reader(cur.location, cur.format, 2)];
    const counted = await Promise.all([true, false].map(async (unpivot) => categoriesOf(part, await engine.rows(countQuery(part, from, 100, unpivot), [ref.location, cur.location]))));
    const [sets, pairs] = [counted[0]!, counted[1]!];
    assert.deepEqual(sets, pairs);
    assert.deepEqual(sets.get('k1'), { approxDistinct: 110 });
    assert.deepEqual(sets.get('k0'), await categoryCounts(engine, 'k0', ref, cur));
  });
});
