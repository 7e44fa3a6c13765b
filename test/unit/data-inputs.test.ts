import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { describe as describeData, fingerprint } from '../../src/data/fingerprint.js';
import { parquetTopLevelNames } from '../../src/data/header.js';
import { validateDataset } from '../../src/data/validate.js';
import { detectDrift, numericColumnStats } from '../../src/data/drift/detect.js';
import type { ValidationConfig } from '../../src/config/model-schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'retrain-data-'));
const file = (name: string) => path.join(dir, name);
const sqlPath = (p: string) => `'${p.replaceAll("'", "''")}'`;
let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

const rules = (v: Partial<ValidationConfig>): ValidationConfig => ({ minRows: 1, columns: {}, allowNonFinite: false, newColumns: 'warn', ...v }) as ValidationConfig;
const target = (t: string, v: Partial<ValidationConfig> = {}) => ({ data: { target: t, format: 'auto' as const }, validation: rules(v) });

describe('duplicate column names are refused, naming them (issue 13, item 12)', () => {
  it('a CSV header with a repeated name, or names that differ only in case', async () => {
    writeFileSync(file('dup.csv'), 'id,x,y,x,Y\n1,2,3,4,5\n');
    await assert.rejects(describeData(engine, file('dup.csv')), (err: Error) => {
      assert.equal(err.name, 'DataSourceError');
      assert.match(err.message, /dup\.csv: duplicate column names: "x" and "x"; "y" and "Y"/);
      return true;
    });
    await assert.rejects(fingerprint(engine, file('dup.csv')), /duplicate column names/);
  });
  it('a quoted header field holding the delimiter or a newline is one name', async () => {
    writeFileSync(file('quoted.csv'), '"a,b","c\nd","a"\n1,2,3\n');
    const schema = await describeData(engine, file('quoted.csv'));
    assert.equal(schema.length, 3);
  });
  it('Parquet: the top-level names are read from the file schema, nested fields are not columns', async () => {
    const p = file('nested-names.parquet');
    await engine.rows(`COPY (SELECT 1 AS a, {'a': 1, 'b': [1]} AS s, [{'a': 2}] AS l, MAP {'k': 1} AS m, 2 AS b) TO ${sqlPath(p)} (FORMAT parquet)`);
    const names = parquetTopLevelNames(await engine.rows('SELECT name, num_children FROM parquet_schema($1)', [p]));
    assert.deepEqual(names, ['a', 's', 'l', 'm', 'b']);
    assert.deepEqual((await describeData(engine, p)).map((c) => c.name), names, 'a struct field named like a column is no duplicate');
  });
});

describe('validation sees every row with the types it checks (issue 13, item 15)', () => {
  it('a non-numeric value at row 25,002, past DuckDB\'s type-sniffing window, is a type violation with its value and row', async () => {
    const lines = ['id,count,score,label'];
    for (let i = 1; i <= 30_000; i++) lines.push(`${i},${i === 25_002 ? 'oops' : i % 97},${(i % 13) / 7},${i % 2 ? 'a' : 'b'}`);
    writeFileSync(file('late.csv'), `${lines.join('\n')}\n`);
    const report = await validateDataset(engine, file('late.csv'), target('label', { columns: { count: { type: 'integer', required: true, severity: 'error', min: 0 } } as never }));
    assert.equal(report.passed, false);
    const v = report.violations.find((x) => x.column === 'count');
    assert.ok(v, JSON.stringify(report.violations));
    assert.equal(v.rule, 'type');
    assert.match(v.observed, /1 of 30000 value\(s\) not integer, the first "oops" at row 25002/);
    assert.deepEqual(v.samples, ['oops']);
    assert.equal(report.violations.length, 1, 'the other columns are fine and still checked');
  });
  it('a column without a declared type is checked against the type DuckDB guessed', async () => {
    const report = await validateDataset(engine, file('late.csv'), target('label'));
    const v = report.violations.find((x) => x.column === 'count');
    assert.ok(v);
    assert.equal(v.rule, 'type');
    assert.match(v.expected, /BIGINT, the type of its first 20480 rows/);
    assert.match(v.observed, /"oops" at row 25002/);
  });
  it('a fraction in an integer column is no integer', async () => {
    writeFileSync(file('fraction.csv'), 'n,y\n1,a\n2.5,b\n3,a\n');
    const report = await validateDataset(engine, file('fraction.csv'), target('y', { columns: { n: { type: 'integer', required: true, severity: 'error' } } as never }));
    assert.equal(report.violations[0]?.rule, 'type');
  });
});

describe('wide data in a bounded number of passes (issue 13, item 13)', () => {
  const COLS = 2000;
  const ROWS = 2000;
  const shifted = new Set([3, 17, 1500]);
  async function wide(name: string, seed: number, shift: boolean) {
    const exprs = Array.from({ length: COLS }, (_, i) => {
      // The same values on both sides except where a column is meant to differ: 1,800 tests of two
      // random samples would flag a few by chance, and this test is about the batching, not the tests.
      if (i % 10 === 9) return `(hash(i, ${i}) % 5)::VARCHAR AS c${i}`;
      const base = `((hash(i, ${i}) % 100000)::DOUBLE / 1000)`;
      if (i === 5 && seed === 2) return `CASE WHEN i = 7 THEN 'NaN'::DOUBLE ELSE ${base} END AS c${i}`;
      if (i === 8 && seed === 2) return `CASE WHEN i = 9 THEN -1 ELSE ${base} END AS c${i}`;
      return `${base}${shift && shifted.has(i) ? ' + 500' : ''} AS c${i}`;
    });
    await engine.rows(`COPY (SELECT ${exprs.join(', ')} FROM range(${ROWS}) t(i)) TO ${sqlPath(file(name))} (FORMAT csv, HEADER true)`);
    return file(name);
  }

  it('a 2,000-column × 2,000-row CSV validates and drifts with the right answers', async () => {
    const ref = await wide('wide-ref.csv', 1, false);
    const cur = await wide('wide-cur.csv', 2, true);
    const report = await validateDataset(engine, cur, target('c0', { columns: { c8: { min: 0, required: true, severity: 'error' }, c19: { allowed: ['0', '1', '2', '3', '4'], required: true, severity: 'error' } } as never }));
    assert.deepEqual(
      report.violations.map((v) => [v.column, v.rule, v.observed]),
      [
        ['c8', 'range', '1 value(s) outside'],
        ['c5', 'finite', '1 non-finite value(s)'],
      ],
    );
    assert.deepEqual(report.violations[0]!.samples, [-1]);
    const drift = await detectDrift(engine, { location: ref, format: 'auto' }, { location: cur, format: 'auto' });
    assert.equal(drift.columns.length, COLS);
    assert.deepEqual(drift.columns.filter((c) => c.drifted).map((c) => c.column), ['c3', 'c17', 'c1500']);
    assert.equal(drift.datasetDrift, false);
    // The batched sorts give exactly what one column at a time gives.
    for (const name of ['c3', 'c5', 'c1998']) {
      const one = await numericColumnStats(engine, name, { location: ref, format: 'auto' }, { location: cur, format: 'auto' });
      assert.deepEqual(drift.columns.find((c) => c.column === name)!.stats, one, name);
    }
  });

  it('a 10,000-column file fingerprints without error', async () => {
    const p = file('wide-10k.csv');
    const exprs = Array.from({ length: 10_000 }, (_, i) => `(hash(i, ${i}) % 1000)::INTEGER AS "col ${i}"`);
    await engine.rows(`COPY (SELECT ${exprs.join(', ')} FROM range(300) t(i)) TO ${sqlPath(p)} (FORMAT csv, HEADER true)`);
    const fp = await fingerprint(engine, p);
    assert.equal(fp.schema.length, 10_000);
    assert.equal(fp.rows, 300);
    const report = await validateDataset(engine, p, target('col 0'));
    assert.equal(report.passed, true, JSON.stringify(report.violations.slice(0, 3)));
  });
});

describe('nested Parquet columns are never a false drift (issue 13, item 14)', () => {
  it('two samples of one distribution with STRUCT, LIST and MAP columns: no dataset drift, a note per nested column', async () => {
    const sample = async (name: string, seed: number) => {
      const p = file(name);
      await engine.rows(
        `COPY (SELECT (hash(i, ${seed}) % 1000)::DOUBLE AS x,
                      {'a': hash(i, ${seed}, 1) % 100, 'b': (hash(i, ${seed}, 2) % 3)::VARCHAR} AS s,
                      [hash(i, ${seed}, 3) % 10, hash(i, ${seed}, 4) % 10] AS l,
                      MAP {'k': hash(i, ${seed}, 5) % 7} AS m
               FROM range(3000) t(i)) TO ${sqlPath(p)} (FORMAT parquet)`,
      );
      return { location: p, format: 'auto' as const };
    };
    const report = await detectDrift(engine, await sample('nested-ref.parquet', 1), await sample('nested-cur.parquet', 2));
    assert.equal(report.datasetDrift, false);
    const byName = new Map(report.columns.map((c) => [c.column, c]));
    assert.match(byName.get('s')!.skipped!, /^nested type STRUCT\(a UBIGINT, b VARCHAR\) is not drift-tested$/);
    assert.match(byName.get('l')!.skipped!, /^nested type UBIGINT\[\] is not drift-tested$/);
    assert.match(byName.get('m')!.skipped!, /^nested type MAP\(VARCHAR, UBIGINT\) is not drift-tested$/);
    assert.equal(byName.get('x')!.skipped, undefined);
    assert.equal(report.driftedShare, 0, 'skipped columns are not in the share');
  });
});

describe('names and encodings an attacker or a tired operator sends', () => {
  it('column names with quotes, SQL and reserved words, a BOM and CRLF line ends are data, not SQL', async () => {
    const names = ['select', 'a"b', "x'); DROP TABLE t;--", 'order by', 'y'];
    const header = names.map((n) => `"${n.replaceAll('"', '""')}"`).join(',');
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${i % 3},${i * 2},${i === 4 ? 999 : i},${i % 2}`);
    writeFileSync(file('names.csv'), `\ufeff${header}\r\n${rows.join('\r\n')}\r\n`);
    const schema = await describeData(engine, file('names.csv'));
    assert.deepEqual(schema.map((c) => c.name), names);
    const report = await validateDataset(engine, file('names.csv'), target('y', { uniqueKey: ['select'], columns: { 'order by': { max: 100, type: 'integer', required: true, severity: 'error' }, "x'); DROP TABLE t;--": { min: 0, required: true, severity: 'error' } } as never }));
    assert.deepEqual(report.violations.map((v) => [v.column, v.rule, v.samples]), [['order by', 'range', [999]]]);
  });
  it('a header-only Parquet file has a schema and no rows', async () => {
    const p = file('header-only.parquet');
    await engine.rows(`COPY (SELECT 1 AS a, 'x' AS b WHERE false) TO ${sqlPath(p)} (FORMAT parquet)`);
    const fp = await fingerprint(engine, p);
    assert.equal(fp.rows, 0);
    assert.deepEqual(fp.schema.map((c) => c.name), ['a', 'b']);
  });
});
