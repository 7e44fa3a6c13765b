import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxCachedWorkflowsFromEnv } from '../../src/worker.js';
import { ConfigError } from '../../src/errors.js';

test('RETRAIN_MAX_CACHED_WORKFLOWS: unset keeps the SDK default, a whole number bounds the sticky cache', () => {
  assert.equal(maxCachedWorkflowsFromEnv({}), undefined);
  assert.equal(maxCachedWorkflowsFromEnv({ RETRAIN_MAX_CACHED_WORKFLOWS: '' }), undefined);
  assert.equal(maxCachedWorkflowsFromEnv({ RETRAIN_MAX_CACHED_WORKFLOWS: '500' }), 500);
});

test('RETRAIN_MAX_CACHED_WORKFLOWS: anything but a whole number ≥ 1 fails naming the variable and the value', () => {
  for (const bad of ['0', '-3', '1.5', '1e3', 'lots', '12abc', '99999999999999999999']) {
    assert.throws(() => maxCachedWorkflowsFromEnv({ RETRAIN_MAX_CACHED_WORKFLOWS: bad }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match((err as Error).message, /RETRAIN_MAX_CACHED_WORKFLOWS=/);
      assert.ok((err as Error).message.includes(JSON.stringify(bad)), (err as Error).message);
      return true;
    });
  }
});
