import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataEngine } from '../../src/data/engine.js';
import { classesIn, validateDataset } from '../../src/data/validate.js';
import type { ValidationConfig } from '../../src/config/model-schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'retrain-classes-'));
let engine: DataEngine;
before(async () => (engine = await DataEngine.open()));
after(() => engine.close());

const model = { data: { target: 'label', format: 'auto' as const }, validation: { minRows: 1, columns: {}, allowNonFinite: false, newColumns: 'warn', classBalance: { min: 0.1 } } as ValidationConfig };
const csv = (name: string, labels: number[]) => {
  const file = path.join(dir, name);
  writeFileSync(file, `x,label\n${labels.map((l, i) => `${i},${l}`).join('\n')}\n`);
  return file;
};

// Issue 16 item 9: with every class-0 row dropped, grouping the current data sees only class 1, at share 1.0 — no violation.
describe('classBalance sees a class that disappeared', () => {
  const trained = csv('trained.csv', [...Array(60).fill(0), ...Array(40).fill(1)]);
  const onlyOnes = csv('only-ones.csv', Array(50).fill(1));

  it('without the expected classes the rule cannot tell (the old behaviour)', async () => {
    const report = await validateDataset(engine, onlyOnes, model);
    assert.equal(report.violations.filter((v) => v.rule === 'classBalance').length, 0);
  });

  it('with the classes production was trained on, the missing class is an error with share 0', async () => {
    const expected = await classesIn(engine, trained, 'auto', 'label');
    assert.deepEqual(expected.sort(), ['0', '1']);
    const report = await validateDataset(engine, onlyOnes, model, new Date(), expected);
    const v = report.violations.find((x) => x.rule === 'classBalance');
    assert.ok(v, JSON.stringify(report.violations));
    assert.equal(v.severity, 'error');
    assert.match(v.observed, /class missing: 0 \(share 0\)/);
    assert.equal(report.passed, false);
  });

  it('all classes present: nothing extra is reported', async () => {
    const both = csv('both.csv', [...Array(30).fill(0), ...Array(20).fill(1)]);
    const report = await validateDataset(engine, both, model, new Date(), ['0', '1']);
    assert.equal(report.violations.length, 0);
  });
});
