import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { detectDrift } from '../../src/data/drift/detect.js';
import { rowIdentifierColumns } from '../../src/data/drift/id-columns.js';

const dir = mkdtempSync(path.join(tmpdir(), 'retrain-ids-'));
let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

/** Rows with a sequential id, a string id, a few-valued category and a feature; ids start at `start`. */
function batch(name: string, start: number, rows: number) {
  const file = path.join(dir, name);
  const lines = ['id,order_ref,region,x'];
  for (let i = 0; i < rows; i++) lines.push(`${start + i},ord-${start + i},${['n', 's', 'e', 'w'][i % 4]},${(i * 7919) % 100}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { location: file, format: 'csv' as const };
}

// Issue 16 item 10: every new batch of ids "drifts" from the last one by construction.
describe('row identifiers are left out of drift by default', () => {
  const ref = batch('ref.csv', 1, 2000);
  const cur = batch('cur.csv', 100_001, 2000);

  it('all-distinct integer and string columns, and uniqueKey columns, are found; features are not', async () => {
    const why = await rowIdentifierColumns(engine, ref, ['region']);
    assert.deepEqual(Object.keys(why).sort(), ['id', 'order_ref', 'region']);
    assert.match(why.id!, /row identifier \(all 2000 reference values distinct\)/);
    assert.match(why.region!, /validation\.uniqueKey/);
  });

  it('skipped ids are reported with the reason and do not count toward dataset drift', async () => {
    const naive = await detectDrift(engine, ref, cur);
    assert.equal(naive.columns.find((c) => c.column === 'id')?.drifted, true, 'without the skip, the id column "drifts"');
    const report = await detectDrift(engine, ref, cur, { skip: await rowIdentifierColumns(engine, ref) });
    const id = report.columns.find((c) => c.column === 'id')!;
    assert.equal(id.drifted, false);
    assert.match(id.skipped!, /row identifier/);
    assert.equal(report.driftedShare, 0, JSON.stringify(report.columns.map((c) => [c.column, c.drifted])));
    assert.equal(report.datasetDrift, false);
  });

  it('a tiny sample is not called an id column just because its values are distinct', async () => {
    assert.deepEqual(await rowIdentifierColumns(engine, batch('tiny.csv', 1, 10)), {});
  });
});
