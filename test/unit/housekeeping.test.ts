import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueEvery } from '../../src/housekeeping.js';

describe('housekeeping now and then', () => {
  it('is due the first time a key is asked, then not again within the interval, then again', () => {
    const due = dueEvery(60_000);
    assert.equal(due('/a', 0), true);
    assert.equal(due('/a', 59_999), false);
    assert.equal(due('/b', 1), true, 'each key on its own');
    assert.equal(due('/a', 60_000), true);
    assert.equal(due('/a', 60_001), false);
  });

  it('remembers a bounded number of keys: a forgotten one is due again', () => {
    const due = dueEvery(60_000, 2);
    assert.equal(due('/a', 0), true);
    assert.equal(due('/b', 0), true);
    assert.equal(due('/c', 0), true); // forgets /a, the oldest
    assert.equal(due('/b', 1), false);
    assert.equal(due('/a', 1), true);
  });
});
