import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronProblem } from '../../src/config/cron.js';
import { compareSchemas } from '../../src/data/validate.js';

describe('cron expressions', () => {
  it('accepts what Temporal Schedules accept', () => {
    for (const ok of ['0 2 * * *', '*/15 * * * *', '0 9-17 * * mon-fri', '30 3 1,15 * *', '0 0 1 jan *', '@daily', '@every 6h', '0 0 * * 7']) {
      assert.equal(cronProblem(ok), null, ok);
    }
  });
  it('names the bad field', () => {
    assert.match(cronProblem('61 2 * * *')!, /minute: 61 is outside 0-59/);
    assert.match(cronProblem('0 24 * * *')!, /hour: 24 is outside 0-23/);
    assert.match(cronProblem('0 2 * foo *')!, /month: "foo" is not a number or a name/);
    assert.match(cronProblem('0 2 * *')!, /expected 5 fields/);
    assert.match(cronProblem('*/0 * * * *')!, /step "0" must be a positive number/);
    assert.match(cronProblem('@sometimes')!, /expected 5 fields/);
  });
});

describe('schema against the production model\'s training data', () => {
  const trained = [{ name: 'a', type: 'BIGINT' }, { name: 'b', type: 'VARCHAR' }];
  it('missing and retyped columns are errors; new columns follow the setting', () => {
    const v = compareSchemas([{ name: 'a', type: 'VARCHAR' }, { name: 'c', type: 'DOUBLE' }], trained, 'warn');
    assert.deepEqual(v.map((x) => [x.column, x.severity, x.observed]), [
      ['a', 'error', 'string (VARCHAR)'],
      ['b', 'error', 'missing'],
      ['c', 'warn', 'new column (DOUBLE)'],
    ]);
    assert.equal(compareSchemas([...trained, { name: 'c', type: 'DOUBLE' }], trained, 'allow').length, 0);
    assert.equal(compareSchemas([{ name: 'a', type: 'INTEGER' }, { name: 'b', type: 'VARCHAR' }], trained, 'error').length, 0, 'integer widths are one type');
  });
});
