import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stepsBetween } from '../../src/client/pipeline-run.js';
import { configSchema } from '../../src/config/model-schema.js';
import { describePlace } from '../../src/client/fleet-status.js';

describe('fleet limit, pure parts', () => {
  it('the queue step sits between validate and train in the progress a waiting caller sees', () => {
    assert.deepEqual(stepsBetween('check', 'queue'), ['validate']);
    assert.deepEqual(stepsBetween('queue', 'evaluate'), ['train']);
    assert.deepEqual(stepsBetween('queue', 'train'), []);
  });

  it('says where a queued run waits', () => {
    assert.equal(describePlace({ position: 1, queued: 2, training: 2, limit: 2 }), 'queued behind 2 trainings (position 1 of 2 waiting, limit 2)');
    assert.equal(describePlace({ position: 3, queued: 3, training: 1, limit: 1 }), 'queued behind 1 training (position 3 of 3 waiting, limit 1)');
  });

  it('the config takes fleet.maxConcurrentTrainings at its top level, a positive integer', () => {
    const base = { version: 1, models: { m: { data: { current: 'a.csv', evaluation: 'b.csv', target: 'y' }, train: { command: ['t'] }, evaluate: { command: ['e'] }, promotion: { metric: 'auc' } } } };
    assert.equal(configSchema.parse({ ...base, fleet: { maxConcurrentTrainings: 2 } }).fleet?.maxConcurrentTrainings, 2);
    assert.equal(configSchema.safeParse({ ...base, fleet: { maxConcurrentTrainings: 0 } }).success, false);
    assert.equal(configSchema.safeParse({ ...base, fleet: { maxConcurrent: 2 } }).success, false);
    assert.equal(configSchema.parse(base).fleet, undefined);
  });
});
