import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DataEngine, readerFor } from '../../src/data/engine.js';
import { describe as describeData } from '../../src/data/fingerprint.js';

const engine = await DataEngine.open({ threads: 1 });
after(() => engine.close());

/** What DESCRIBE answers for the plain (sniffing) reader: the schema a run recorded before the sniffed one named it. */
async function described(file: string) {
  const rows = await engine.rows(`DESCRIBE SELECT * FROM ${readerFor(file)}`, [file], file);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

describe('a sniffed CSV names its schema without a DESCRIBE', () => {
  it('is the schema DESCRIBE answers, for every type the sniffer finds and names that need quoting', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-schema-'));
    const file = path.join(dir, 'd.csv');
    const header = ['id', 'score', 'name', 'day', 'at', 'flag', 'clock', "it's \"q\"", 'naïve col', 'empty', 'big'];
    const rows = Array.from({ length: 30 }, (_, i) => [i, i / 3, `n${i}`, `2026-01-${String((i % 28) + 1).padStart(2, '0')}`, `2026-01-01 10:00:${String(i % 60).padStart(2, '0')}`, i % 2 ? 'true' : 'false', `10:00:${String(i % 60).padStart(2, '0')}`, `v${i}`, i, '', 9_000_000_000 + i].join(','));
    writeFileSync(file, `${header.map((h) => (/[",]/.test(h) ? `"${h.replaceAll('"', '""')}"` : h)).join(',')}\n${rows.join('\n')}\n`);
    const { columns } = await engine.readerAndColumns(file);
    assert.ok(columns, 'the sniffed reader knows its columns');
    assert.deepEqual(columns, await described(file));
    assert.deepEqual(await describeData(engine, file), await described(file), 'describe() answers the same as before');
  });

  it('an all-text reader and a Parquet file are described by DuckDB, as before', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-schema-'));
    const file = path.join(dir, 'd.csv');
    writeFileSync(file, 'id,x\n1,2\n3,4\n');
    assert.equal((await engine.readerAndColumns(file, 'auto', 1, { allVarchar: true })).columns, null);
    const parquet = path.join(dir, 'd.parquet');
    await engine.rows(`COPY (SELECT * FROM ${await engine.reader(file)}) TO '${parquet.replaceAll("'", "''")}' (FORMAT parquet)`, [file], file);
    assert.equal((await engine.readerAndColumns(parquet)).columns, null);
    assert.deepEqual(await describeData(engine, parquet), [{ name: 'id', type: 'BIGINT' }, { name: 'x', type: 'BIGINT' }]);
  });

  it('the file rewritten with other columns: the new columns, not the ones sniffed before', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'retrain-schema-'));
    const file = path.join(dir, 'd.csv');
    writeFileSync(file, 'id,x\n1,2\n');
    assert.deepEqual((await describeData(engine, file)).map((c) => c.name), ['id', 'x']);
    writeFileSync(file, 'id,x,label\n1,2,a\n3,4,b\n');
    assert.deepEqual(await describeData(engine, file), await described(file));
  });
});
